"""Scheduled calls: planning and moving them, their series, who calls when, open alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import (
    CallAlert,
    CallSeries,
    CallStatus,
    Request,
    Resident,
    ScheduledCall,
    Staff,
)
from storage.repository.conditional import changed


async def create_call(*, session: AsyncSession, **fields: Any) -> ScheduledCall:
    """Adds a call (a draft unless ``status`` says otherwise)."""
    call = ScheduledCall(**fields)
    session.add(call)
    await session.flush()
    return call


async def get_call(*, session: AsyncSession, call_id: int) -> ScheduledCall | None:
    """The call with this id, or None."""
    return await session.get(ScheduledCall, call_id)


async def create_series(*, session: AsyncSession, **fields: Any) -> CallSeries:
    """Adds a recurring series (status ``draft`` until the call is confirmed)."""
    series = CallSeries(**fields)
    session.add(series)
    await session.flush()
    return series


async def get_series(*, session: AsyncSession, series_id: int | None) -> CallSeries | None:
    """The series with this id, or None."""
    return await session.get(CallSeries, series_id) if series_id else None


async def set_call_status(
    *,
    session: AsyncSession,
    call_id: int,
    expected: CallStatus,
    status: CallStatus,
    now: datetime,
    staff_id: int | None = None,
) -> bool:
    """Moves a call from ``expected`` to ``status``; False when someone else was first."""
    values: dict[str, Any] = {"status": status}
    if status in (CallStatus.reached, CallStatus.no_answer, CallStatus.lapsed):
        values |= {"outcome_at": now, "outcome_by": staff_id}
    return await changed(
        session,
        update(ScheduledCall)
        .where(col(ScheduledCall.id) == call_id, col(ScheduledCall.status) == expected)
        .values(**values),
    )


async def move_call(
    *, session: AsyncSession, call_id: int, due_at: datetime, expected: CallStatus
) -> bool:
    """Gives a draft or scheduled call a new time; False when it is no longer ``expected``."""
    return await changed(
        session,
        update(ScheduledCall)
        .where(col(ScheduledCall.id) == call_id, col(ScheduledCall.status) == expected)
        .values(due_at=due_at, resident_declined_at=None),
    )


async def note_resident_declined(*, session: AsyncSession, call_id: int, now: datetime) -> bool:
    """Notes that the resident said the time does not suit them; False when they had
    said so already (since the call was last moved), so the assignee is told once."""
    return await changed(
        session,
        update(ScheduledCall)
        .where(col(ScheduledCall.id) == call_id, col(ScheduledCall.resident_declined_at).is_(None))
        .values(resident_declined_at=now),
    )


async def has_later_occurrence(*, session: AsyncSession, series_id: int, after: datetime) -> bool:
    """True when the series already has a call planned for a later occurrence."""
    found = await session.scalar(
        select(col(ScheduledCall.id))
        .where(
            col(ScheduledCall.series_id) == series_id,
            col(ScheduledCall.occurrence_at) > after,
            col(ScheduledCall.status).in_([CallStatus.scheduled, CallStatus.draft]),
        )
        .limit(1)
    )
    return found is not None


async def series_history(
    *, session: AsyncSession, series_id: int, limit: int = 6
) -> list[tuple[ScheduledCall, Staff]]:
    """The latest finished calls of a series, newest last."""
    rows = await session.execute(
        select(ScheduledCall, Staff)
        .join(Staff, col(Staff.id) == col(ScheduledCall.assignee_id))
        .where(
            col(ScheduledCall.series_id) == series_id,
            col(ScheduledCall.status).in_(
                [CallStatus.reached, CallStatus.no_answer, CallStatus.lapsed]
            ),
        )
        .order_by(col(ScheduledCall.due_at).desc(), col(ScheduledCall.id).desc())
        .limit(limit)
    )
    return [(call, staff) for call, staff in reversed(rows.all())]


async def calls_for_assignee(
    *, session: AsyncSession, staff_id: int | None, start: datetime, end: datetime
) -> list[tuple[ScheduledCall, Request, Resident | None]]:
    """The scheduled calls of one person (None: of everyone) between two instants, in
    time order."""
    query = (
        select(ScheduledCall, Request, Resident)
        .join(Request, col(Request.id) == col(ScheduledCall.request_id))
        .outerjoin(Resident, col(Resident.id) == col(Request.resident_id))
        .where(
            col(ScheduledCall.status) == CallStatus.scheduled,
            col(ScheduledCall.due_at) >= start,
            col(ScheduledCall.due_at) < end,
        )
        .order_by(col(ScheduledCall.due_at))
    )
    if staff_id is not None:
        query = query.where(col(ScheduledCall.assignee_id) == staff_id)
    rows = await session.execute(query)
    return [(call, request, resident) for call, request, resident in rows]


async def open_call_alerts(
    *, session: AsyncSession
) -> list[tuple[CallAlert, Request, Resident | None]]:
    """The telefooncirkel alerts no coordinator has closed yet, oldest first."""
    rows = await session.execute(
        select(CallAlert, Request, Resident)
        .join(Request, col(Request.id) == col(CallAlert.request_id))
        .outerjoin(Resident, col(Resident.id) == col(Request.resident_id))
        .where(col(CallAlert.status) == "open")
        .order_by(col(CallAlert.created_at))
    )
    return [(alert, request, resident) for alert, request, resident in rows]


async def busy_times(
    *, session: AsyncSession, staff_id: int, start: datetime, end: datetime
) -> list[datetime]:
    """When this person already has calls planned (for finding a free slot)."""
    return [
        c.due_at
        for c, _, _ in await calls_for_assignee(
            session=session, staff_id=staff_id, start=start, end=end
        )
    ]
