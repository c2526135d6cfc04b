"""After an answered call: what the one who answered chose (📝, 🔗, ℹ️) and what it
changes on the call's contact. Every change is a conditional update: one choice per
call, one topic per information call, a contact filed under a request once.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Contact, Request
from storage.repository.conditional import changed
from storage.repository.telephony import OPEN, REMINDED
from storage.telephony_models import PhoneCall, PhoneCallState


async def choose_follow_up(
    *, session: AsyncSession, phone_call_id: int, staff_id: int, choice: str
) -> PhoneCall | None:
    """Records what the one who answered did after the call, once; None if not theirs to do."""
    chosen = await session.scalar(
        update(PhoneCall)
        .where(
            col(PhoneCall.id) == phone_call_id,
            col(PhoneCall.state) == PhoneCallState.ended,
            col(PhoneCall.answered_by) == staff_id,
            or_(col(PhoneCall.follow_up).is_(None), col(PhoneCall.follow_up) == REMINDED),
        )
        .values(follow_up=choice)
        .returning(col(PhoneCall.id))
    )
    return await session.get(PhoneCall, chosen) if chosen is not None else None


async def attach_contact(*, session: AsyncSession, call: PhoneCall, request: Request) -> bool:
    """Files an answered call's contact under one of the caller's open requests, as a
    follow-up; False unless the request is the caller's and still open."""
    if (
        call.contact_id is None
        or call.resident_id is None
        or request.resident_id != call.resident_id
        or request.status not in OPEN
    ):
        return False
    return await changed(
        session,
        update(Contact)
        .where(col(Contact.id) == call.contact_id, col(Contact.request_id).is_(None))
        .values(
            request_id=request.id,
            kind="follow_up",
            category=request.category,
            queue=request.queue,
        ),
    )


async def set_info_topic(
    *, session: AsyncSession, phone_call_id: int, staff_id: int, category: str
) -> bool:
    """Sets the category of an information call's contact, once, by the one who answered
    and chose ℹ️; False when it is not theirs to set or was set already."""
    contact_id = (
        select(col(PhoneCall.contact_id))
        .where(
            col(PhoneCall.id) == phone_call_id,
            col(PhoneCall.answered_by) == staff_id,
            col(PhoneCall.follow_up) == "info",
        )
        .scalar_subquery()
    )
    return await changed(
        session,
        update(Contact)
        .where(col(Contact.id) == contact_id, col(Contact.category).is_(None))
        .values(category=category)
        .execution_options(synchronize_session=False),
    )


async def set_contact_kind(*, session: AsyncSession, contact_id: int, kind: str) -> None:
    """Corrects the kind of a call's contact (an information call that was a request)."""
    await session.execute(update(Contact).where(col(Contact.id) == contact_id).values(kind=kind))
