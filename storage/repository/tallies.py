"""Counting contacts (and satisfaction grades) per breakdown, in SQL.

The database does the grouping (``GROUP BY``), so three years of a busy line come
back as a few hundred rows, not a million. Every breakdown value is a key
(``geldzaken``, ``2026-04``, a staff id as text) or None; labels are the report's
business. For month, quarter and week see ``storage.repository.localtime``.
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

from storage.models import Contact, Request, Resident, Satisfaction
from storage.repository.localtime import (
    TIME_DIMENSIONS,
    Piece,
    pieces,
    postgres_period_keys,
)
from storage.repository.staff import staff_names as staff_names

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


@dataclass(frozen=True)
class _Source:
    """What is counted: contacts, or grades joined to their request."""

    table: Any
    time: Any
    staff: Any
    row: Any  # the model that holds the dimension columns
    measures: tuple[Any, ...]
    joins: tuple[tuple[Any, Any], ...] = ()
    where: tuple[Any, ...] = ()


_CONTACTS = _Source(
    table=Contact,
    time=col(Contact.occurred_at),
    staff=col(Contact.staff_id),
    row=Contact,
    measures=(func.count(), func.count(distinct(col(Contact.resident_id)))),
)
_GRADES = _Source(
    table=Satisfaction,
    time=col(Satisfaction.answered_at),
    staff=col(Request.claimed_by),
    row=Request,
    measures=(
        func.count(col(Satisfaction.grade)),
        func.count(distinct(col(Request.resident_id))),
        func.avg(col(Satisfaction.grade)),
    ),
    joins=((Request, col(Request.id) == col(Satisfaction.request_id)),),
    where=(col(Satisfaction.grade).is_not(None),),
)


def _column(source: _Source, dim: str) -> Any:
    if dim == "staff":
        return cast(source.staff, String)
    if dim in COLUMN_DIMENSIONS and hasattr(source.row, dim):
        return col(getattr(source.row, dim))
    raise ValueError(f"unknown dimension {dim!r}")


def _query(source: _Source, columns: list[Any], start: datetime, end: datetime) -> Select[Any]:
    query = select(*columns, *source.measures).select_from(source.table)
    for model, on in source.joins:
        query = query.join(model, on)
    query = query.where(source.time >= start, source.time < end, *source.where)
    if columns:
        # Group by position: the same expression written twice would carry its own bound
        # parameters, which PostgreSQL does not recognise as one grouping expression.
        query = query.group_by(*[text(str(n)) for n in range(1, len(columns) + 1)])
    return query


def _cell(keys: tuple[str | None, ...], measures: Sequence[Any]) -> Cell:
    average = float(measures[2]) if len(measures) > 2 and measures[2] is not None else None
    return Cell(keys, int(measures[0]), int(measures[1]), average)


def plan(
    *, dialect: str, dims: Sequence[str], start: datetime, end: datetime, zone: ZoneInfo
) -> list[Piece]:
    """The stretches of [start, end) to count one by one with ``count_piece``.

    PostgreSQL converts times itself: the whole period at once. SQLite: one piece per
    local month, quarter or week of the time dimensions in ``dims`` (just the whole
    period when there are none). Pieces are independent: they may be counted in
    parallel, on different sessions.
    """
    for dim in dims:
        if dim not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dim!r}")
    if dialect == "postgresql":
        return [Piece({}, start, end)]
    return pieces(dims, start, end, zone)


async def count_piece(
    *,
    session: AsyncSession,
    dims: Sequence[str],
    piece: Piece,
    zone: ZoneInfo,
    grades: bool = False,
) -> list[Cell]:
    """Contacts (or, with ``grades``, satisfaction grades) per combination of ``dims``."""
    source = _GRADES if grades else _CONTACTS
    if grades and any(dim not in GRADE_DIMENSIONS for dim in dims):
        raise ValueError(f"dimension 'direction' does not apply to grades: {list(dims)}")
    if session.get_bind().dialect.name == "postgresql":
        periods = postgres_period_keys(source.time, zone)
        columns = [periods[d] if d in TIME_DIMENSIONS else _column(source, d) for d in dims]
        result = await session.execute(_query(source, columns, piece.start, piece.end))
        return [_cell(tuple(row[: len(dims)]), row[len(dims) :]) for row in result]
    plain = [d for d in dims if d not in TIME_DIMENSIONS]
    columns = [_column(source, d) for d in plain]
    cells = []
    result = await session.execute(_query(source, columns, piece.start, piece.end))
    for row in result:
        if not columns and not row[0]:
            continue  # no GROUP BY: one row of zeros for an empty piece
        found = dict(zip(plain, row[: len(plain)], strict=True))
        keys = tuple(piece.keys[d] if d in TIME_DIMENSIONS else found[d] for d in dims)
        cells.append(_cell(keys, row[len(plain) :]))
    return cells


async def _tally(
    session: AsyncSession,
    dims: Sequence[str],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    grades: bool = False,
) -> list[Cell]:
    dialect = session.get_bind().dialect.name
    cells = []
    for piece in plan(dialect=dialect, dims=dims, start=start, end=end, zone=zone):
        cells += await count_piece(
            session=session, dims=dims, piece=piece, zone=zone, grades=grades
        )
    return cells


async def contact_tallies(
    *,
    session: AsyncSession,
    dims: Sequence[str],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> list[Cell]:
    """Contacts and distinct residents per combination of ``dims`` in [start, end)."""
    return await _tally(session, dims, start, end, zone)


async def contact_totals(
    *, session: AsyncSession, start: datetime, end: datetime
) -> tuple[int, int]:
    """The number of contacts and of distinct residents in [start, end)."""
    time = col(Contact.occurred_at)
    contacts = await session.scalar(select(func.count()).where(time >= start, time < end))
    # One index seek per resident (ix_contact_resident_occurred) instead of sorting
    # every contact of the period to drop the duplicates.
    had_contact = (
        select(col(Contact.id))
        .where(col(Contact.resident_id) == col(Resident.id), time >= start, time < end)
        .correlate(Resident)
        .exists()
    )
    residents = await session.scalar(select(func.count()).select_from(Resident).where(had_contact))
    return int(contacts or 0), int(residents or 0)


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
    return await _tally(session, dims, start, end, zone, grades=True)


@dataclass(frozen=True)
class GradeTotals:
    """All grades of a period: how many, from how many residents, their mean, opt-outs."""

    answers: int
    residents: int
    average: float | None
    opted_out: int


async def grade_totals(*, session: AsyncSession, start: datetime, end: datetime) -> GradeTotals:
    """The grades of [start, end) taken together."""
    row = (await session.execute(_query(_GRADES, [], start, end))).one()
    time = col(Satisfaction.answered_at)
    opted_out = await session.scalar(
        select(func.count()).where(time >= start, time < end, col(Satisfaction.opted_out).is_(True))
    )
    average = float(row[2]) if row[2] is not None else None
    return GradeTotals(int(row[0]), int(row[1]), average, int(opted_out or 0))
