"""A resident's email to the line: a request (or a message on their open one), in one
transaction, through the same steps as Telegram and the phone line.

Triage reads the subject and the writer's own words; a crisis goes to the crisis queue
at once (its card is the coordinators' alert) and the auto-reply opens with the safety
numbers. The request gets its queue card with the claim button, the contact is logged
with channel ``email``, and the auto-reply waits in the email outbox until the commit.
The Message-ID is recorded in the same transaction: a message read twice makes one
request. Mail that is not a resident's question is recorded by verdict only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from flows.email_message import IncomingMail, Verdict
from flows.email_reply import AutoReply, first_name, reply_body, reply_subject, village_in_text
from flows.safety import has_urgent_text, safety_text
from flows.submission import resolve
from flows.triage import Classification
from helpline.cases.cards import alert_crisis, annotate_card, post_card
from helpline.cases.contacts import count_contact
from helpline.cases.conversation import forward_to_holder
from helpline.cases.core import Services
from helpline.cases.intake import VITAL_INTEREST
from helpline.cases.queue_groups import queue_chat
from storage import repository as repo
from storage.models import Channel, Direction, Request, RequestStatus, Resident
from storage.repository import email as mails

# Mail that may well be a person's question but cannot be taken in: the coordinators
# look in the mailbox themselves (the rest — robots, lists, spam — is only counted).
NEEDS_A_LOOK = {Verdict.oversize: "mail_look_oversize", Verdict.no_sender: "mail_look_no_sender"}
EMAIL_CONSENT = "email"  # no notice was shown: the resident wrote to the line themselves
CONTACT_PREFERENCE = "email"


@dataclass(frozen=True)
class MailOutcome:
    """What one message did: ``committed`` False only for a repeat (already in)."""

    committed: bool
    verdict: Verdict
    request_id: int | None = None
    reference: str | None = None
    joined: bool = False
    crisis: bool = False


async def receive_mail(services: Services, mail: IncomingMail) -> MailOutcome:
    """Records one message and what follows from it, in one transaction."""
    now = services.clock()
    async with services.db.session() as session:
        resident_mail = mail.verdict is Verdict.resident and mail.from_address is not None
        row_id = await mails.record_message(
            session=session,
            message_id=mail.message_id,
            verdict=mail.verdict,
            from_address=mail.from_address if resident_mail else None,
            has_attachments=mail.has_attachments,
            now=now,
        )
        if row_id is None:
            return MailOutcome(committed=False, verdict=mail.verdict)
        if mail.verdict in NEEDS_A_LOOK:
            await _ask_for_a_look(session, services, mail.verdict)
        if not resident_mail or mail.from_address is None:
            return MailOutcome(committed=True, verdict=mail.verdict)
        resident = await _resident(session, services, mail.from_address, mail)
        assert resident.id is not None
        result = services.classifier.classify(mail.triage_text)
        request = None
        if mail.reference is not None:
            request = await mails.open_request_of(
                session=session, reference=mail.reference, resident_id=resident.id
            )
        if request is not None:
            outcome = await _join(session, services, mail, resident, request, result)
        else:
            outcome = await _open(session, services, mail, resident, result)
        assert outcome.request_id is not None
        await mails.link_message(
            session=session,
            row_id=row_id,
            resident_id=resident.id,
            request_id=outcome.request_id,
            joined=outcome.joined,
        )
        return outcome


async def _ask_for_a_look(session: AsyncSession, services: Services, verdict: Verdict) -> None:
    """A note in the coordinators' group: which kind of mail, and when it came (no sender,
    no subject: the group sees no personal data)."""
    chat = queue_chat(services, services.config.crisis_queue)
    if chat is None:
        return
    t, lang = services.texts, services.staff_language
    now = services.clock()
    await repo.enqueue(
        session=session,
        now=now,
        chat_id=chat,
        purpose="alert",
        text=t(
            "mail_needs_a_look",
            lang,
            reason=t(NEEDS_A_LOOK[verdict], lang),
            received=now.astimezone(services.settings.zone).strftime("%d-%m %H:%M"),
        ),
    )


async def _resident(
    session: AsyncSession, services: Services, address: str, mail: IncomingMail
) -> Resident:
    """The resident who wrote from this address before, or a new one with it."""
    known = await mails.resident_by_address(session=session, address=address)
    if known is not None:
        return known
    resident = Resident(first_name=first_name(mail.from_name), language="nl")
    session.add(resident)
    await session.flush()
    assert resident.id is not None
    await mails.add_address(
        session=session, resident_id=resident.id, address=address, now=services.clock()
    )
    return resident


def _is_crisis(result: Classification) -> bool:
    return result.urgency == "crisis" and result.risk != "possible"


def _safety(services: Services, result: Classification) -> dict[str, str] | None:
    """The safety text in both languages when the message may mean danger."""
    if result.urgency == "normal" and result.risk != "possible":
        return None
    if result.urgency == "urgent" and result.risk != "possible" and not has_urgent_text(result):
        return None
    return {lang: safety_text(services.texts, result, lang) for lang in ("nl", "en")}


async def _open(
    session: AsyncSession,
    services: Services,
    mail: IncomingMail,
    resident: Resident,
    result: Classification,
) -> MailOutcome:
    """A new request from the mail, with its card, contact and auto-reply."""
    assert resident.id is not None
    crisis = _is_crisis(result)
    # A possible danger cannot be asked about with buttons by mail: urgent, numbers sent.
    urgency = "urgent" if result.risk == "possible" and not crisis else result.urgency
    village = village_in_text(services.config, mail.triage_text) or resident.village
    submission = resolve(
        services.config,
        category=result.category,
        urgency=urgency,
        village=village,
        contact_preference=CONTACT_PREFERENCE,
    )
    if submission.village and not resident.village:
        resident.village = submission.village
    known = await mails.familiarity_of(session=session, resident_id=resident.id)
    now = services.clock()
    request = await repo.create_request(
        session=session,
        prefix=services.config.organisation.reference_prefix,
        resident_id=resident.id,
        channel=Channel.email,
        kind=result.kind,
        category=submission.category,
        urgency="crisis" if crisis else submission.urgency,
        village=submission.village,
        queue=services.config.crisis_queue if crisis else submission.queue,
        summary=mail.triage_text,
        contact_preference=CONTACT_PREFERENCE,
        language=resident.language,
        new_or_known=known.label,
        consent_at=now if crisis else None,
        consent_version=VITAL_INTEREST if crisis else EMAIL_CONSENT,
        created_at=now,
    )
    lang = services.staff_language
    lines = [services.texts("email_card_line", lang)]
    if mail.has_attachments:
        lines.append(services.texts("email_card_attachment", lang))
    await post_card(session, services, request, extra="\n".join(lines), known=known, new=True)
    await _log(session, services, request, "intake")
    reply = AutoReply(
        reference=request.reference,
        name=resident.first_name,
        queue={lang: services.config.queue_label(request.queue, lang) for lang in ("nl", "en")},
        safety=_safety(services, result),
        ask_village=submission.village is None,
        attachment=mail.has_attachments,
    )
    await _auto_reply(session, services, mail, request, reply)
    return MailOutcome(True, mail.verdict, request.id, request.reference, crisis=crisis)


async def _join(
    session: AsyncSession,
    services: Services,
    mail: IncomingMail,
    resident: Resident,
    request: Request,
    result: Classification,
) -> MailOutcome:
    """A reply with the reference: a note on the request, passed on to its holder."""
    text = mail.text or mail.subject
    await repo.add_note(session=session, request_id=request.id or 0, author="resident", text=text)
    village = village_in_text(services.config, text)
    if village and request.village is None:
        # The auto-reply asked for it; where the request goes is not changed here
        # (the card is already in a queue), the holder sees the village.
        request.village = village
        resident.village = resident.village or village
    await _log(session, services, request, "message")
    await forward_to_holder(session, services, request, resident, text)
    await annotate_card(
        session, services, request, services.texts("email_card_joined", services.staff_language)
    )
    crisis = _is_crisis(result)
    if crisis:
        request.urgency = "crisis"
        if request.status == RequestStatus.open:
            request.queue = services.config.crisis_queue
        await session.flush()
        await alert_crisis(session, services, request)
    reply = AutoReply(
        reference=request.reference,
        name=resident.first_name,
        queue={},
        safety=_safety(services, result),
        joined=True,
    )
    await _auto_reply(session, services, mail, request, reply)
    return MailOutcome(
        True, mail.verdict, request.id, request.reference, joined=True, crisis=crisis
    )


async def _log(session: AsyncSession, services: Services, request: Request, event: str) -> None:
    await count_contact(session, request, services.clock(), Channel.email, Direction.inbound, event)


def own_message_id(services: Services, reference: str) -> str:
    """A Message-ID for a mail about a request: the reference first, so a reply finds it."""
    domain = (services.settings.mail_from or "helpline.invalid").rsplit("@", 1)[-1]
    return f"{reference}.{secrets.token_hex(8)}@{domain}"


async def _auto_reply(
    session: AsyncSession,
    services: Services,
    mail: IncomingMail,
    request: Request,
    reply: AutoReply,
) -> None:
    """Queues the auto-reply (only when the line can send mail)."""
    if not services.settings.smtp_url or not services.settings.mail_from or not mail.from_address:
        return
    mails.enqueue_mail(
        session=session,
        now=services.clock(),
        request_id=request.id,
        purpose="auto_reply",
        to_address=mail.from_address,
        subject=reply_subject(services.texts, request.reference),
        body=reply_body(services.texts, reply),
        message_id=own_message_id(services, request.reference),
        in_reply_to=mail.message_id,
    )
