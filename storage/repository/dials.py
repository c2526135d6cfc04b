"""📞 Bel nu: the click-to-dial requests, and how outbound call events find them.

Every change is a conditional update: a dial is taken by one outbound call only, marked
failed only while it waits, and gets its contact once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import Contact
from storage.repository.conditional import changed
from storage.telephony_models import PhoneDial


async def add_dial(
    *, session: AsyncSession, request_id: int, staff_id: int, resident_id: int, at: datetime
) -> PhoneDial:
    """Records a Bel nu before the provider is asked to ring."""
    dial = PhoneDial(
        request_id=request_id, staff_id=staff_id, resident_id=resident_id, dialed_at=at
    )
    session.add(dial)
    await session.flush()
    return dial


async def fail_dial(*, session: AsyncSession, dial_id: int) -> bool:
    """Marks a dial the provider refused, while no call took it."""
    return await changed(
        session,
        update(PhoneDial)
        .where(col(PhoneDial.id) == dial_id, col(PhoneDial.phone_call_id).is_(None))
        .values(failed=True)
        .execution_options(synchronize_session=False),
    )


async def claim_dial(
    *, session: AsyncSession, resident_id: int, phone_call_id: int, since: datetime
) -> PhoneDial | None:
    """The newest waiting dial to this resident since ``since``, now taken by this call."""
    newest = (
        select(col(PhoneDial.id))
        .where(
            col(PhoneDial.resident_id) == resident_id,
            col(PhoneDial.dialed_at) >= since,
            col(PhoneDial.failed).is_(False),
            col(PhoneDial.phone_call_id).is_(None),
        )
        .order_by(col(PhoneDial.dialed_at).desc())
        .limit(1)
        .scalar_subquery()
    )
    taken = await session.scalar(
        update(PhoneDial)
        .where(col(PhoneDial.id) == newest, col(PhoneDial.phone_call_id).is_(None))
        .values(phone_call_id=phone_call_id)
        .returning(col(PhoneDial.id))
    )
    return await session.get(PhoneDial, taken) if taken is not None else None


async def dial_of_call(*, session: AsyncSession, phone_call_id: int) -> PhoneDial | None:
    """The dial an outbound call took, if any."""
    return await session.scalar(
        select(PhoneDial).where(col(PhoneDial.phone_call_id) == phone_call_id)
    )


async def set_dial_contact(*, session: AsyncSession, dial_id: int, contact_id: int) -> bool:
    """Notes the contact the dial's call logged, once."""
    return await changed(
        session,
        update(PhoneDial)
        .where(col(PhoneDial.id) == dial_id, col(PhoneDial.contact_id).is_(None))
        .values(contact_id=contact_id)
        .execution_options(synchronize_session=False),
    )


async def dialled_contact(
    *, session: AsyncSession, request_id: int, staff_id: int, since: datetime
) -> Contact | None:
    """The contact of this staff member's newest Bel nu call on the request since
    ``since`` (a Gebeld pressed afterwards sets its outcome instead of logging another)."""
    contact_id = await session.scalar(
        select(col(PhoneDial.contact_id))
        .where(
            col(PhoneDial.request_id) == request_id,
            col(PhoneDial.staff_id) == staff_id,
            col(PhoneDial.dialed_at) >= since,
            col(PhoneDial.contact_id).is_not(None),
        )
        .order_by(col(PhoneDial.dialed_at).desc())
        .limit(1)
    )
    return await session.get(Contact, contact_id) if contact_id is not None else None
