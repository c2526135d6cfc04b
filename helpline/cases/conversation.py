"""A resident writing to the line: start an intake, run its next step, or add the
message to the request they already have open.

Telegram-free: the handler turns an update into a ``Sender`` and a flows ``Input``,
calls one of these inside the update's transaction, and sends the replies returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from flows import intake
from flows.conversation import ButtonIn, CommandIn, Input, Reply, TextIn
from flows.safety import needs_safety_reply
from flows.texts import moment_text
from flows.triage import Classification
from flows.urgency import most_urgent
from helpline.cases import chatlog
from helpline.cases.cards import schedule_escalations
from helpline.cases.core import Services
from helpline.cases.drafts import AnyDraftRow, resident_draft, store_resident_draft
from helpline.cases.intake import log_resident_message, raise_crisis, submit_intake
from storage import repository as repo
from storage.models import Request, RequestStatus, Resident
from storage.repository import hot
from storage.repository.drafts import DraftRow

MAX_FORWARD = 3500  # characters of a resident's message forwarded to the holder


@dataclass(frozen=True)
class Sender:
    """Who wrote, as the channel says: their chat, their account, their first name and
    the language to use when the line does not know them yet."""

    chat_id: int
    user_id: int
    first_name: str | None
    language: str


async def on_message(
    session: AsyncSession,
    services: Services,
    sender: Sender,
    event: Input,
    *,
    safety: Classification | None,
    incoming: list[int],
    outgoing: list[int],
) -> tuple[Reply, ...]:
    """One update of a resident in its transaction: what the safety check found
    (``safety``, its reply already sent), then the intake's next step, a new intake, or
    the message added to the open request. Returns the replies to send after the commit.

    ``incoming`` and ``outgoing`` are the ids of the resident's message and of the
    safety reply, recorded for /wis in this transaction.
    """
    now = services.clock()
    await remember_update(session, sender.chat_id, incoming, outgoing, now)
    crisis = safety if safety is not None and safety.urgency == "crisis" else None
    row = await repo.load_draft_row(session=session, chat_id=sender.chat_id)
    # A running intake step needs no resident row (most updates): one query less. It is
    # only read here (changed by ``upsert_telegram_resident`` alone).
    resident = (
        await hot.read_resident_by_telegram_id(session, sender.user_id)
        if row is None or crisis is not None
        else None
    )
    if crisis is not None and isinstance(event, TextIn):
        if resident is None:
            resident = await store_sender(session, sender)
        await raise_crisis(
            session, services, resident=resident, text=event.text, result=crisis, draft_row=row
        )
    elif safety is not None:  # urgent: shown first in the queues
        await mark_urgent(session, services, row, resident)
        if safety.risk == "possible" and isinstance(event, TextIn):
            await ask_safety_check(session, sender, safety, event.text, now)
    if row is not None and row.flow != "resident":
        # A staff member's own /nieuw draft: an old or forged button in their private
        # chat is not a resident's intake step.
        replies: tuple[Reply, ...] = (Reply(services.texts("claim_gone", services.staff_language)),)
    elif row is None:
        replies = await outside_intake(session, services, sender, event, resident)
    else:
        replies = await intake_step(session, services, row, event)
    if row is not None:  # what the crisis, urgency or step changed (if not deleted)
        await repo.update_draft_row(session=session, row=row)
    return replies


def queued_messages(session: AsyncSession) -> bool:
    """True when the update's transaction put messages in the outbox (a card, an alert,
    a relay) that the dispatcher should deliver now; most steps queue nothing."""
    return repo.queued_messages(session=session)


async def store_sender(session: AsyncSession, sender: Sender) -> Resident:
    """The resident row of ``sender``, stored now from what the channel says of them.

    For a crisis from someone the line does not know yet (a crisis message, a "Ja" to
    the check question): the crisis request needs a resident and does not wait for an
    intake.
    """
    return await repo.upsert_telegram_resident(
        session=session,
        telegram_user_id=sender.user_id,
        chat_id=sender.chat_id,
        first_name=sender.first_name,
        language=sender.language,
    )


def safety_check(services: Services, event: Input) -> Classification | None:
    """The triage of a text the resident sent, at any step, when it needs a safety reply
    (``flows.safety.needs_safety_reply``); None for everything else."""
    if not isinstance(event, TextIn):
        return None
    result = services.classifier.classify(event.text)
    return result if needs_safety_reply(result) else None


async def remember_update(
    session: AsyncSession, chat_id: int, incoming: list[int], outgoing: list[int], now: datetime
) -> None:
    """Records the message ids of this update, for /wis, in the update's transaction."""
    await chatlog.remember_in(
        session, chat_id=chat_id, message_ids=incoming, outgoing=False, now=now
    )
    await chatlog.remember_in(
        session, chat_id=chat_id, message_ids=outgoing, outgoing=True, now=now
    )


async def ask_safety_check(
    session: AsyncSession, sender: Sender, result: Classification, text: str, now: datetime
) -> None:
    """Keeps the message behind a check question: "Ja" escalates it as a crisis."""
    await repo.ask_safety_check(
        session=session,
        chat_id=sender.chat_id,
        user_id=sender.user_id,
        line=result.crisis or "suicide",
        text=text,
        now=now,
    )


async def mark_urgent(
    session: AsyncSession, services: Services, row: AnyDraftRow | None, resident: Resident | None
) -> None:
    """Raises the running intake, or else the open request, to urgent (never lowers);
    an unclaimed request's escalation clock restarts with the urgent limits."""
    if row is not None:
        row.urgency = most_urgent(row.urgency, "urgent")
        return
    if resident is None or resident.id is None:
        return
    request = await repo.latest_open_request(session=session, resident_id=resident.id)
    if request is not None and request.urgency == "normal":
        request.urgency = "urgent"
        if request.status == RequestStatus.open:
            await schedule_escalations(session, services, request)


async def outside_intake(
    session: AsyncSession,
    services: Services,
    sender: Sender,
    event: Input,
    resident: Resident | None,
) -> tuple[Reply, ...]:
    """No intake running: start one, or add the message to the open request."""
    lang = resident.language if resident else sender.language
    open_request = (
        await repo.latest_open_request(session=session, resident_id=resident.id)
        if resident is not None and resident.id is not None
        else None
    )
    if isinstance(event, CommandIn) and event.name == "stop":
        return (Reply(services.texts("nothing_to_stop", lang), remove_keyboard=True),)
    if isinstance(event, CommandIn) and event.name == "help":
        return (Reply(services.texts("help", lang)),)
    if open_request is not None and isinstance(event, TextIn):
        await repo.add_note(
            session=session, request_id=open_request.id or 0, author="resident", text=event.text
        )
        await log_resident_message(session, services, open_request)
        await forward_to_holder(session, services, open_request, resident, event.text)
        return (Reply(services.texts("message_added", lang, reference=open_request.reference)),)
    if open_request is not None and isinstance(event, ButtonIn):
        # E.g. "Versturen" pressed again because the confirmation never came (a restart):
        # the resident learns the question is in, and its number.
        reference = open_request.reference
        return (Reply(services.texts("already_submitted", lang, reference=reference)),)
    outcome = intake.start(services.intake, first_name=sender.first_name, language=lang)
    row = DraftRow(chat_id=sender.chat_id, user_id=sender.user_id, step=outcome.draft.step.value)
    store_resident_draft(services, row, outcome.draft)
    # The injected clock, like every other time.
    await repo.insert_draft_row(session=session, row=row, now=services.clock())
    return outcome.replies


async def intake_step(
    session: AsyncSession, services: Services, row: AnyDraftRow, event: Input
) -> tuple[Reply, ...]:
    """Runs one intake step; a ``DraftRow`` is stored by ``repo.update_draft_row`` after."""
    draft = resident_draft(row)
    outcome = intake.advance(services.intake, draft, event)
    if outcome.action is intake.Action.CONTINUE:
        store_resident_draft(services, row, outcome.draft)
        return outcome.replies
    if outcome.action is intake.Action.SUBMIT:
        request = await submit_intake(session, services, row=row, draft=outcome.draft)
        queue = services.config.queue_label(request.queue, draft.language)
        text = services.texts("submitted", draft.language, queue=queue, reference=request.reference)
        return (Reply(text, remove_keyboard=True), *out_of_hours(services, draft.language))
    # Cancel or decline: forget the draft (a crisis request, if any, stays open, and
    # its crisis message counts as a contact: there will be no intake contact).
    if row.request_id is not None:
        opened = await repo.get_request(session=session, request_id=row.request_id)
        if opened is not None:
            await log_resident_message(session, services, opened)
    await repo.delete_draft(session=session, chat_id=row.chat_id)
    return outcome.replies


async def forward_to_holder(
    session: AsyncSession,
    services: Services,
    request: Request,
    resident: Resident | None,
    text: str,
) -> None:
    """Passes a resident's message on to the staff member holding the request."""
    if request.claimed_by is None:
        return
    holder = await repo.get_staff_by_id(session=session, staff_id=request.claimed_by)
    if holder is None or not holder.active:
        return
    await repo.enqueue(
        now=services.clock(),
        session=session,
        chat_id=holder.telegram_user_id,
        text=services.texts(
            "relay_to_holder",
            services.staff_language,
            first_name=(resident.first_name if resident else None) or "?",
            reference=request.reference,
            # Telegram takes 4,096 characters; the whole message is kept as a note.
            text=text if len(text) <= MAX_FORWARD else text[:MAX_FORWARD].rstrip() + "…",
        ),
        purpose="relay",
        request_id=request.id,
    )


def out_of_hours(services: Services, lang: str) -> tuple[Reply, ...]:
    """When the line is closed, says when it will answer (crisis replies never wait for this)."""
    now = services.clock()
    if services.hours.is_open(now):
        return ()
    opens = services.hours.next_open(now)
    if opens is None:
        return ()
    when = moment_text(services.texts, lang, opens.astimezone(services.settings.zone))
    return (Reply(services.texts("out_of_hours", lang, when=when)),)
