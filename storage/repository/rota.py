"""The rota's rows: weekly shifts and one-date exceptions of the phone line.

Adding is ``INSERT … ON CONFLICT DO NOTHING`` on the row's unique key and removing is
``DELETE … RETURNING``: two coordinators typing the same change at once change the
rota once, and each learns whether theirs did.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from flows.rota import Rota, RotaException, Span, WeeklyShift
from storage.models import Staff
from storage.repository.staff import staff_names as staff_names
from storage.telephony_models import PhoneShift, PhoneShiftException


async def _add_new(
    session: AsyncSession, model: type[PhoneShift | PhoneShiftException], **values: Any
) -> bool:
    """Inserts the row unless one with its unique key is there; whether it was added."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    added = await session.scalar(
        module.insert(model).values(**values).on_conflict_do_nothing().returning(col(model.id))
    )
    return added is not None


async def load_rota(*, session: AsyncSession, from_day: date | None = None) -> Rota:
    """The rota of active staff; exceptions from ``from_day`` on (all when None)."""
    shifts = await session.execute(
        select(PhoneShift)
        .join(Staff, col(Staff.id) == col(PhoneShift.staff_id))
        .where(col(Staff.active).is_(True))
        .order_by(col(PhoneShift.weekday), col(PhoneShift.start_minute), col(PhoneShift.id))
    )
    query = (
        select(PhoneShiftException)
        .join(Staff, col(Staff.id) == col(PhoneShiftException.staff_id))
        .where(col(Staff.active).is_(True))
        .order_by(col(PhoneShiftException.day), col(PhoneShiftException.start_minute))
    )
    if from_day is not None:
        query = query.where(col(PhoneShiftException.day) >= from_day)
    exceptions = await session.execute(query)
    return Rota(
        tuple(
            WeeklyShift(s.staff_id, s.weekday, Span(s.start_minute, s.end_minute))
            for (s,) in shifts
        ),
        tuple(
            RotaException(e.staff_id, e.day, Span(e.start_minute, e.end_minute), e.on_duty)
            for (e,) in exceptions
        ),
    )


async def add_shift(
    *, session: AsyncSession, staff_id: int, weekday: int, span: Span, now: datetime
) -> bool:
    """Adds a weekly shift; False when the staff member has this one already."""
    return await _add_new(
        session,
        PhoneShift,
        staff_id=staff_id,
        weekday=weekday,
        start_minute=span.start,
        end_minute=span.end,
        created_at=now,
    )


async def remove_shift(*, session: AsyncSession, staff_id: int, weekday: int, span: Span) -> bool:
    """Removes a weekly shift; False when there was no such shift."""
    removed = await session.scalar(
        delete(PhoneShift)
        .where(
            col(PhoneShift.staff_id) == staff_id,
            col(PhoneShift.weekday) == weekday,
            col(PhoneShift.start_minute) == span.start,
            col(PhoneShift.end_minute) == span.end,
        )
        .returning(col(PhoneShift.id))
    )
    return removed is not None


async def add_exception(
    *, session: AsyncSession, staff_id: int, day: date, span: Span, on_duty: bool, now: datetime
) -> bool:
    """Adds an exception for one date; False when the same one is there already."""
    return await _add_new(
        session,
        PhoneShiftException,
        staff_id=staff_id,
        day=day,
        start_minute=span.start,
        end_minute=span.end,
        on_duty=on_duty,
        created_at=now,
    )


async def remove_exceptions(*, session: AsyncSession, staff_id: int, day: date) -> int:
    """Removes the staff member's exceptions for one date; how many there were."""
    removed = await session.scalars(
        delete(PhoneShiftException)
        .where(col(PhoneShiftException.staff_id) == staff_id, col(PhoneShiftException.day) == day)
        .returning(col(PhoneShiftException.id))
    )
    return len(list(removed))


async def staff_named(*, session: AsyncSession, name: str) -> list[Staff]:
    """Active staff whose name is ``name`` (any case), else whose name starts with it."""
    wanted = name.strip().lower()
    if not wanted:
        return []
    active = list(
        await session.scalars(
            select(Staff).where(col(Staff.active).is_(True)).order_by(col(Staff.name))
        )
    )
    exact = [s for s in active if s.name.lower() == wanted]
    return exact or [s for s in active if s.name.lower().startswith(wanted)]


async def on_duty_staff(*, session: AsyncSession, ids: frozenset[int]) -> list[Staff]:
    """The active staff members among these ids, by name."""
    if not ids:
        return []
    rows = await session.scalars(
        select(Staff)
        .where(col(Staff.id).in_(sorted(ids)), col(Staff.active).is_(True))
        .order_by(col(Staff.name))
    )
    return list(rows)


async def leads(*, session: AsyncSession) -> list[Staff]:
    """Active coordinators and admins (who get the weekly list of uncovered hours)."""
    rows = await session.scalars(
        select(Staff)
        .where(col(Staff.active).is_(True), col(Staff.role).in_(["coordinator", "admin"]))
        .order_by(col(Staff.name))
    )
    return list(rows)
