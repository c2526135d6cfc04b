"""Counting contacts (and satisfaction grades) per breakdown, in SQL.

The database does the grouping (``GROUP BY``), so a year of a busy line comes back
as a few hundred rows, not a million. Every breakdown value is a key (``geldzaken``,
``2026-04``, a staff id as text) or None; labels are the report's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, String, cast, distinct, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Contact, Request, Satisfaction, Staff
from storage.repository.localtime import TIME_DIMENSIONS, local_period_keys

COLUMN_DIMENSIONS = (
    "category",
    "kind",
    "channel",
    "location",
    "village",
    "queue",
    "outcome",
    "new_or_known",
    "direction",
)
DIMENSIONS = (*COLUMN_DIMENSIONS, *TIME_DIMENSIONS, "staff")
# Grades belong to a request, which has no direction.
GRADE_DIMENSIONS = tuple(d for d in DIMENSIONS if d != "direction")


@dataclass(frozen=True)
class Cell:
    """One row of a breakdown as counted by the database.

    ``count`` is the number of contacts (or of grades), ``residents`` the number of
    distinct residents among them, ``average`` the mean grade (grades only).
    """

    keys: tuple[str | None, ...]
    count: int
    residents: int
    average: float | None = None


def _dimension_columns(
    model: Any,
    dims: Sequence[str],
    *,
    dialect: str,
    zone: ZoneInfo,
    time: Any,
    start: datetime,
    end: datetime,
) -> list[Any]:
    periods = local_period_keys(time, dialect=dialect, zone=zone, start=start, end=end)
    columns = []
    for dim in dims:
        if dim in TIME_DIMENSIONS:
            columns.append(periods[dim].label(dim))
        elif dim == "staff":
            staff = model.staff_id if model is Contact else model.claimed_by
            columns.append(cast(staff, String).label(dim))
        elif dim in COLUMN_DIMENSIONS and hasattr(model, dim):
            columns.append(getattr(model, dim).label(dim))
        else:
            raise ValueError(f"unknown dimension {dim!r}")
    return columns


def _grouped(query: Select[Any], width: int) -> Select[Any]:
    # Group by position: the same expression written twice would carry its own bound
    # parameters, which PostgreSQL does not recognise as the same grouping expression.
    positions = [text(str(n)) for n in range(1, width + 1)]
    return query.group_by(*positions).order_by(*positions)


async def contact_tallies(
    *,
    session: AsyncSession,
    dims: Sequence[str],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> list[Cell]:
    """Contacts and distinct residents per combination of ``dims`` in [start, end)."""
    time = col(Contact.occurred_at)
    columns = _dimension_columns(
        Contact,
        dims,
        dialect=session.get_bind().dialect.name,
        zone=zone,
        time=time,
        start=start,
        end=end,
    )
    query = select(*columns, func.count(), func.count(distinct(col(Contact.resident_id)))).where(
        time >= start, time < end
    )
    result = await session.execute(_grouped(query, len(columns)))
    width = len(columns)
    return [Cell(tuple(row[:width]), int(row[width]), int(row[width + 1])) for row in result]


async def contact_totals(
    *, session: AsyncSession, start: datetime, end: datetime
) -> tuple[int, int]:
    """The number of contacts and of distinct residents in [start, end)."""
    time = col(Contact.occurred_at)
    row = (
        await session.execute(
            select(func.count(), func.count(distinct(col(Contact.resident_id)))).where(
                time >= start, time < end
            )
        )
    ).one()
    return int(row[0]), int(row[1])


def _answered(start: datetime, end: datetime) -> Any:
    time = col(Satisfaction.answered_at)
    return (time >= start) & (time < end)


async def grade_tallies(
    *,
    session: AsyncSession,
    dims: Sequence[str],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> list[Cell]:
    """Grades, distinct residents and the mean grade per combination of ``dims``.

    Breakdown values come from the graded request; time dimensions use the moment
    the resident answered. Opt-outs are not grades and are left out.
    """
    for dim in dims:
        if dim not in GRADE_DIMENSIONS:
            raise ValueError(f"dimension {dim!r} does not apply to grades")
    columns = _dimension_columns(
        Request,
        dims,
        dialect=session.get_bind().dialect.name,
        zone=zone,
        time=col(Satisfaction.answered_at),
        start=start,
        end=end,
    )
    query = (
        select(
            *columns,
            func.count(col(Satisfaction.grade)),
            func.count(distinct(col(Request.resident_id))),
            func.avg(col(Satisfaction.grade)),
        )
        .join(Request, col(Request.id) == col(Satisfaction.request_id))
        .where(_answered(start, end), col(Satisfaction.grade).is_not(None))
    )
    result = await session.execute(_grouped(query, len(columns)))
    width = len(columns)
    return [
        Cell(tuple(row[:width]), int(row[width]), int(row[width + 1]), float(row[width + 2]))
        for row in result
    ]


@dataclass(frozen=True)
class GradeTotals:
    """All grades of a period: how many, from how many residents, their mean, opt-outs."""

    answers: int
    residents: int
    average: float | None
    opted_out: int


async def grade_totals(*, session: AsyncSession, start: datetime, end: datetime) -> GradeTotals:
    """The grades of [start, end) taken together."""
    grade = col(Satisfaction.grade)
    row = (
        await session.execute(
            select(
                func.count(grade),
                func.count(distinct(col(Request.resident_id))).filter(grade.is_not(None)),
                func.avg(grade),
                func.count().filter(col(Satisfaction.opted_out).is_(True)),
            )
            .join(Request, col(Request.id) == col(Satisfaction.request_id))
            .where(_answered(start, end))
        )
    ).one()
    average = float(row[2]) if row[2] is not None else None
    return GradeTotals(int(row[0]), int(row[1]), average, int(row[3]))


async def staff_names(*, session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    """The names of the staff members with these ids (active or not)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(col(Staff.id), col(Staff.name)).where(col(Staff.id).in_(list(ids)))
    )
    return {staff_id: name for staff_id, name in rows if staff_id is not None}
