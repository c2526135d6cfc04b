"""Phone calls: recorded once per provider and call id, moved on by conditional updates.

Each move names the state it was decided from (``WHERE state = 'ringing'``), so the
same event delivered twice, or two deliveries racing, change the row once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from storage.models import Contact, Outbox, OutboxStatus, Request, RequestStatus, Resident, Staff
from storage.repository.conditional import changed
from storage.telephony_models import PhoneCall, PhoneCallState, PhonePop

OPEN = (RequestStatus.open, RequestStatus.claimed)
REMINDED = "reminded"  # follow_up: not chosen yet, and the one reminder went out
_INSERT_CALL: dict[str, Insert] = {}


async def record_call(
    *,
    session: AsyncSession,
    provider: str,
    call_id: str,
    direction: str,
    caller_phone: str | None,
    resident_id: int | None,
    at: datetime,
) -> tuple[PhoneCall, bool]:
    """The call's row, inserted when it is new; ``(row, True)`` only for the inserter.

    ``INSERT … ON CONFLICT DO NOTHING``: of two deliveries of one ``newCall`` exactly
    one inserts (and sends the pops); the other finds the row.
    """
    dialect = session.get_bind().dialect.name
    values = {
        "provider": provider,
        "call_id": call_id,
        "direction": direction,
        "state": PhoneCallState.ringing,
        "caller_phone": caller_phone,
        "resident_id": resident_id,
        "ringing_at": at,
        "created_at": at,
    }
    statement = _INSERT_CALL.get(dialect)
    if statement is None:  # built once per dialect: building it costs more than running it
        module = postgresql if dialect == "postgresql" else sqlite
        statement = _INSERT_CALL[dialect] = (
            module.insert(PhoneCall)
            .values({name: bindparam(name) for name in values})
            .on_conflict_do_nothing(index_elements=["provider", "call_id"])
            .returning(col(PhoneCall.id))
        )
    new_id = await session.scalar(statement, values)
    row = await session.scalar(
        select(PhoneCall).where(
            col(PhoneCall.provider) == provider, col(PhoneCall.call_id) == call_id
        )
    )
    assert row is not None
    return row, new_id is not None


async def _move(
    session: AsyncSession, call: PhoneCall, from_state: str, values: dict[str, Any]
) -> bool:
    moved = await changed(
        session,
        update(PhoneCall)
        .where(col(PhoneCall.id) == call.id, col(PhoneCall.state) == from_state)
        .values(**values),
    )
    if moved:
        _known(call, values)
    return moved


def _known(call: PhoneCall, values: dict[str, Any]) -> None:
    # What the UPDATE wrote, set on the loaded row as its stored state: no re-read.
    for name, value in values.items():
        set_committed_value(call, name, value)


async def answer_call(
    *,
    session: AsyncSession,
    call: PhoneCall,
    staff_id: int | None,
    extension: str | None,
    at: datetime,
) -> bool:
    """ringing → answered; False when the call was answered or ended already."""
    values = {
        "state": PhoneCallState.answered,
        "answered_by": staff_id,
        "answered_ext": extension,
        "answered_at": at,
    }
    return await _move(session, call, PhoneCallState.ringing, values)


async def end_answered_call(
    *, session: AsyncSession, call: PhoneCall, cause: str | None, at: datetime
) -> bool:
    """answered → ended; False unless the call was answered and still going."""
    values = {"state": PhoneCallState.ended, "ended_at": at, "cause": cause}
    return await _move(session, call, PhoneCallState.answered, values)


async def miss_call(
    *, session: AsyncSession, call: PhoneCall, cause: str | None, at: datetime
) -> bool:
    """ringing → missed (ended without an answer); False when it was answered or ended."""
    values = {"state": PhoneCallState.missed, "ended_at": at, "cause": cause}
    return await _move(session, call, PhoneCallState.ringing, values)


async def link_call(
    *,
    session: AsyncSession,
    call: PhoneCall,
    contact_id: int | None = None,
    callback_request_id: int | None = None,
) -> None:
    """Notes the contact an answered call became, or the callback a missed one joined."""
    values: dict[str, Any] = {}
    if contact_id is not None:
        values["contact_id"] = contact_id
    if callback_request_id is not None:
        values["callback_request_id"] = callback_request_id
    if values:
        await session.execute(update(PhoneCall).where(col(PhoneCall.id) == call.id).values(values))
        _known(call, values)


async def get_phone_call(*, session: AsyncSession, phone_call_id: int) -> PhoneCall | None:
    """The call with this row id, or None."""
    return await session.get(PhoneCall, phone_call_id)


async def staff_by_extension(*, session: AsyncSession, extension: str | None) -> Staff | None:
    """The active staff member with this phone extension (or login), or None."""
    if not extension:
        return None
    return await session.scalar(
        select(Staff).where(col(Staff.phone_extension) == extension, col(Staff.active).is_(True))
    )


async def resident_by_phone(*, session: AsyncSession, phone: str | None) -> Resident | None:
    """The newest resident with this number (erased residents have none), or None."""
    if not phone:
        return None
    return await session.scalar(
        select(Resident).where(col(Resident.phone) == phone).order_by(col(Resident.id).desc())
    )


@dataclass(frozen=True)
class OpenCase:
    """An open request of a caller, and who holds it (None: still in its queue)."""

    reference: str
    queue: str
    holder: str | None
    request_id: int = 0


async def open_cases(*, session: AsyncSession, resident_id: int, limit: int = 3) -> list[OpenCase]:
    """The resident's open and claimed requests, newest first, with their holders."""
    rows = await session.execute(
        select(col(Request.reference), col(Request.queue), col(Staff.name), col(Request.id))
        .outerjoin(Staff, col(Staff.id) == col(Request.claimed_by))
        .where(col(Request.resident_id) == resident_id, col(Request.status).in_(OPEN))
        .order_by(col(Request.id).desc())
        .limit(limit)
    )
    return [OpenCase(ref, queue, holder, rid or 0) for ref, queue, holder, rid in rows]


async def last_contact_at(*, session: AsyncSession, resident_id: int) -> datetime | None:
    """When the resident's latest contact happened (any channel), or None."""
    return await session.scalar(
        select(func.max(col(Contact.occurred_at))).where(col(Contact.resident_id) == resident_id)
    )


async def open_callback(*, session: AsyncSession, caller_phone: str) -> Request | None:
    """The caller's 📞 Terugbellen request that is still open or claimed, or None."""
    return await session.scalar(
        select(Request)
        .join(PhoneCall, col(PhoneCall.callback_request_id) == col(Request.id))
        .where(col(PhoneCall.caller_phone) == caller_phone, col(Request.status).in_(OPEN))
        .order_by(col(Request.id).desc())
        .limit(1)
    )


def add_pop(
    *, session: AsyncSession, call: PhoneCall, staff_id: int, chat_id: int, outbox_id: int
) -> PhonePop:
    """Remembers a pop's outbox row, so the pop can be changed when the call moves on."""
    assert call.id is not None
    pop = PhonePop(phone_call_id=call.id, staff_id=staff_id, chat_id=chat_id, outbox_id=outbox_id)
    session.add(pop)
    return pop


async def call_pops(*, session: AsyncSession, call: PhoneCall) -> list[tuple[PhonePop, Outbox]]:
    """The pops of a call with their outbox rows (their message ids once sent)."""
    rows = await session.execute(
        select(PhonePop, Outbox)
        .join(Outbox, col(Outbox.id) == col(PhonePop.outbox_id))
        .where(col(PhonePop.phone_call_id) == call.id)
        .order_by(col(PhonePop.id))
    )
    return [(pop, outbox) for pop, outbox in rows]


async def rewrite_unsent(*, session: AsyncSession, outbox_id: int, text: str) -> bool:
    """Changes the text of a message still waiting in the outbox; False once it is taken."""
    changed = await session.scalar(
        update(Outbox)
        .where(col(Outbox.id) == outbox_id, col(Outbox.status) == OutboxStatus.pending)
        .values(text=text)
        .returning(col(Outbox.id))
    )
    return changed is not None


async def set_phone_extension(
    *, session: AsyncSession, staff_id: int, extension: str | None
) -> None:
    """Sets (or with None clears) the extension the exchange names this staff member by."""
    await session.execute(
        update(Staff).where(col(Staff.id) == staff_id).values(phone_extension=extension)
    )


async def sent_message_id(*, session: AsyncSession, outbox_id: int) -> int | None:
    """The Telegram message id of a sent outbox row; None while it is not (yet) sent."""
    return await session.scalar(
        select(col(Outbox.message_id)).where(
            col(Outbox.id) == outbox_id, col(Outbox.status) == OutboxStatus.sent
        )
    )
