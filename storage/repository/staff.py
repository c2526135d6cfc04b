"""Staff members and the queues they work."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from flows.errors import StaffExistsError
from storage.direct import Prepared
from storage.models import QueueMembership, Role, Staff


async def add_staff(
    *, session: AsyncSession, telegram_user_id: int, name: str, role: Role, queues: list[str]
) -> Staff:
    """Registers a staff member (or re-activates a removed one) with their queues."""
    staff = await session.scalar(
        select(Staff).where(col(Staff.telegram_user_id) == telegram_user_id)
    )
    if staff is not None and staff.active:
        raise StaffExistsError(f"Telegram id {telegram_user_id} is already registered")
    if staff is None:
        staff = Staff(telegram_user_id=telegram_user_id, name=name, role=role)
        session.add(staff)
    else:
        staff.name, staff.role, staff.active = name, role, True
    await session.flush()
    assert staff.id is not None
    await set_queues(session=session, staff_id=staff.id, queues=queues)
    return staff


async def set_queues(*, session: AsyncSession, staff_id: int, queues: list[str]) -> None:
    """Replaces the queue memberships of a staff member."""
    await session.execute(delete(QueueMembership).where(col(QueueMembership.staff_id) == staff_id))
    for queue in dict.fromkeys(queues):
        session.add(QueueMembership(staff_id=staff_id, queue=queue))
    await session.flush()


# Built once: these run on almost every staff update (a claim, a relay, a command).
_ACTIVE_STAFF = select(Staff).where(
    col(Staff.telegram_user_id) == bindparam("telegram_user_id"), col(Staff.active).is_(True)
)
_QUEUES_OF = Prepared(
    select(col(QueueMembership.queue))
    .where(col(QueueMembership.staff_id) == bindparam("staff_id"))
    .order_by(col(QueueMembership.queue))
)


async def get_staff(*, session: AsyncSession, telegram_user_id: int) -> Staff | None:
    """The active staff member with this Telegram id, or None."""
    return await session.scalar(_ACTIVE_STAFF, {"telegram_user_id": telegram_user_id})


async def active_staff_ids(*, session: AsyncSession) -> frozenset[int]:
    """The Telegram ids of all active staff members."""
    return frozenset(
        await session.scalars(
            select(col(Staff.telegram_user_id)).where(col(Staff.active).is_(True))
        )
    )


async def get_staff_by_id(*, session: AsyncSession, staff_id: int) -> Staff | None:
    """The staff member with this database id (active or not)."""
    return await session.get(Staff, staff_id)


async def staff_names(*, session: AsyncSession, ids: Collection[int]) -> dict[int, str]:
    """The names of the staff members with these ids (active or not), by id."""
    if not ids:
        return {}
    rows = await session.execute(
        select(col(Staff.id), col(Staff.name)).where(col(Staff.id).in_(sorted(ids)))
    )
    return {staff_id: name for staff_id, name in rows if staff_id is not None}


async def staff_queues(*, session: AsyncSession, staff_id: int) -> list[str]:
    """The queues a staff member works, sorted."""
    return [queue for (queue,) in await _QUEUES_OF.rows(session, {"staff_id": staff_id})]


async def list_staff(*, session: AsyncSession) -> list[tuple[Staff, list[str]]]:
    """All active staff members with their queues, by name."""
    staff = await session.scalars(
        select(Staff).where(col(Staff.active).is_(True)).order_by(col(Staff.name))
    )
    result = []
    for member in staff:
        assert member.id is not None
        result.append((member, await staff_queues(session=session, staff_id=member.id)))
    return result


async def remove_staff(*, session: AsyncSession, telegram_user_id: int) -> bool:
    """Deactivates a staff member and drops their queues; history keeps their name."""
    staff = await get_staff(session=session, telegram_user_id=telegram_user_id)
    if staff is None:
        return False
    staff.active = False
    assert staff.id is not None
    await set_queues(session=session, staff_id=staff.id, queues=[])
    return True
