"""The holder writes to the resident of their case, from the web page (and its record,
shared with the Telegram relay): the same checks, note and contact as the ✉️ Schrijven
chat.

The message reaches the resident from the line's name: in their chat through the
outbox (a chat that blocked the bot is noted by the dispatcher, and the holder told,
as for any message), or by mail for a resident who wrote by email. The text is kept as a
note on the request (free text: retention and erasure clear it) and logged as an
outbound contact.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.cases.access import Actor
from helpline.cases.contacts import count_contact
from helpline.cases.core import Services
from helpline.cases.email_relay import relay_by_email
from storage import repository as repo
from storage.models import Channel, Direction, Request, RequestStatus, Resident

MAX_RELAY_CHARS = 3500  # leaves room for the prefix within Telegram's 4096


@dataclass(frozen=True)
class Relayed:
    """What became of a message: ``how`` is chat, email, not_holder, empty, too_long or
    unreachable (no chat and no mail: the holder phones instead)."""

    how: str
    first_name: str = "?"


async def record_relay(
    session: AsyncSession, services: Services, actor: Actor, request: Request, text: str
) -> None:
    """The note and the outbound contact of a message relayed in the resident's chat."""
    await repo.add_note(
        session=session, request_id=request.id or 0, author="staff", text=text, staff_id=actor.id
    )
    await count_contact(
        session, request, services.clock(), Channel.telegram, Direction.outbound, "relay", actor.id
    )


async def relay_text(
    session: AsyncSession, services: Services, actor: Actor, request: Request, text: str
) -> Relayed:
    """Sends the holder's ``text`` to the resident of ``request``, or says why not."""
    if request.status != RequestStatus.claimed or not actor.may("relay", request):
        return Relayed("not_holder")
    text = text.strip()
    if not text:
        return Relayed("empty")
    if len(text) > MAX_RELAY_CHARS:
        return Relayed("too_long")
    resident = await session.get(Resident, request.resident_id) if request.resident_id else None
    first_name = (resident.first_name if resident else None) or "?"
    if resident is None:
        return Relayed("unreachable", first_name)
    if resident.chat_id is None:
        mailed = await relay_by_email(
            session, services, request=request, resident=resident, staff_id=actor.id, text=text
        )
        return Relayed("email" if mailed else "unreachable", first_name)
    if resident.blocked_at is not None:
        return Relayed("unreachable", first_name)
    await repo.enqueue(
        session=session,
        now=services.clock(),
        chat_id=resident.chat_id,
        text=services.texts("relay_from_staff", resident.language, text=text),
        purpose="relay",
        request_id=request.id,
    )
    await record_relay(session, services, actor, request, text)
    return Relayed("chat", first_name)
