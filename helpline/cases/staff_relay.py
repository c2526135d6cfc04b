"""A staff member's plain text in their private chat, relayed to the resident of their
chosen case (``staff.active_request_id``).

The resident sees the line's name, never the staff member's own account. The Telegram
edge sends the message to the resident's chat itself, at once, so the staff member
learns straight away when it failed. Everything around that send is here:

- ``read_text``, in the update's transaction: who wrote, a draft handover's question
  first, the help, whether they may relay to their case now, and the case's resident
  reached some other way — by mail for a resident who wrote by email, or not at all
  (the reply then shows the phone number, audited);
- ``blocked``, after a send refused with 403: the resident is marked unreachable by
  chat;
- ``delivered``, after a send: the message id (for the resident's /wis), the note and
  the outbound contact.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.cases import audit
from helpline.cases.access import Actor, actor_for
from helpline.cases.answers import Answer
from helpline.cases.core import Services
from helpline.cases.email_relay import relay_by_email
from helpline.cases.handover_draft import note_for_draft
from helpline.cases.relay import MAX_RELAY_CHARS, record_relay
from storage import repository as repo
from storage.models import AuditAction, Request, RequestStatus, Resident
from storage.repository.chat_messages import remember_messages


@dataclass(frozen=True)
class ToChat:
    """A message for the resident's chat, to be sent by the edge: ``text`` (in the
    resident's language, from the line's name) to ``chat_id``."""

    actor: Actor
    request: Request
    resident_id: int
    chat_id: int
    first_name: str
    text: str
    staff_text: str  # what the staff member typed: the note kept once delivered


@dataclass(frozen=True)
class StaffText:
    """What a staff member's private text comes to.

    ``greet``: the staff welcome for ``actor`` (``/start``). Else ``answer`` is said to
    them at once (with ``mailed`` when a mail was queued for the mail sender), or the
    text goes to the resident's chat as ``to_chat``.
    """

    actor: Actor
    greet: bool = False
    answer: Answer | None = None
    mailed: bool = False
    to_chat: ToChat | None = None


async def read_text(
    session: AsyncSession, services: Services, user_id: int, text: str
) -> StaffText | None:
    """Reads the private ``text`` of Telegram user ``user_id``; None when not staff.

    A draft handover takes the text first (its safety reason or note); commands other
    than ``/start`` get the help. Otherwise the text is for the resident of the staff
    member's chosen case, if they hold it and may relay: queued as a mail for a
    resident who wrote by email, or returned as ``to_chat`` for the edge to send.
    """
    t, lang = services.texts, services.staff_language
    actor = await actor_for(session, user_id)
    if actor is None:
        return None
    note_sent = (
        None if text.startswith("/") else await note_for_draft(session, services, actor, text)
    )
    if note_sent is not None:
        return StaffText(actor, answer=note_sent)
    if text.startswith("/start"):
        return StaffText(actor, greet=True)
    if not text or text.startswith("/"):
        return StaffText(actor, answer=(t("staff_help", lang), ()))
    request = (
        await repo.get_request(session=session, request_id=actor.staff.active_request_id)
        if actor.staff.active_request_id
        else None
    )
    if (
        request is None
        or request.status != RequestStatus.claimed
        or not actor.may("relay", request)
    ):
        return StaffText(actor, answer=(t("relay_no_case", lang), ()))
    resident = await session.get(Resident, request.resident_id) if request.resident_id else None
    first_name = (resident.first_name if resident else None) or "?"
    reference = request.reference
    if resident is not None and resident.chat_id is None and len(text) <= MAX_RELAY_CHARS:
        # A resident who wrote by email.
        mailed = await relay_by_email(
            session, services, request=request, resident=resident, staff_id=actor.id, text=text
        )
        if mailed:
            said = t("relay_sent_email", lang, first_name=first_name, reference=reference)
            return StaffText(actor, answer=(said, ()), mailed=True)
    if resident is None or resident.chat_id is None:
        if resident is not None and resident.phone:  # the reply shows their number
            await audit.record(
                session, services, actor.id, AuditAction.view_phone, request, "via=relay"
            )
        phone = (resident.phone if resident else None) or "-"
        return StaffText(actor, answer=(t("relay_not_chat", lang, phone=phone), ()))
    if len(text) > MAX_RELAY_CHARS:
        return StaffText(actor, answer=(t("relay_too_long", lang, limit=MAX_RELAY_CHARS), ()))
    out = t("relay_from_staff", resident.language, text=text)
    to_chat = ToChat(actor, request, resident.id or 0, resident.chat_id, first_name, out, text)
    return StaffText(actor, to_chat=to_chat)


async def blocked(session: AsyncSession, services: Services, to_chat: ToChat) -> str:
    """Marks the resident who blocked the bot unreachable by chat; tells the staff member."""
    await repo.mark_blocked(session=session, resident_id=to_chat.resident_id, now=services.clock())
    return services.texts(
        "relay_blocked",
        services.staff_language,
        first_name=to_chat.first_name,
        reference=to_chat.request.reference,
    )


async def delivered(
    session: AsyncSession, services: Services, to_chat: ToChat, message_id: int
) -> str:
    """Records a message delivered to the resident's chat; tells the staff member."""
    await remember_messages(  # for the resident's /wis (helpline.cases.chatlog)
        session=session,
        chat_id=to_chat.chat_id,
        message_ids=[message_id],
        outgoing=True,
        now=services.clock(),
    )
    await record_relay(session, services, to_chat.actor, to_chat.request, to_chat.staff_text)
    return services.texts(
        "relay_sent",
        services.staff_language,
        first_name=to_chat.first_name,
        reference=to_chat.request.reference,
    )


def failed(services: Services) -> str:
    """What the staff member reads when the send failed for another reason."""
    return services.texts("error", services.staff_language)
