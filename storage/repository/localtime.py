"""The local calendar (month, quarter, ISO week) of UTC times, for GROUP BY.

Times are stored in UTC, but a report counts by the line's calendar: a contact at
2026-03-31 22:30 UTC happened on 1 April in Amsterdam.

- PostgreSQL converts in the query: ``to_char(timezone(zone, column), 'YYYY-MM')``.
- SQLite knows no time zones. Instead of converting every row, the period is cut
  into local months (quarters, weeks) whose UTC bounds zoneinfo computes exactly,
  DST included; one ``GROUP BY`` query per piece then counts the other dimensions.
  That is also the fastest plan SQLite has: no date function per row, and small
  sorts instead of one over the whole period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, func, literal
from sqlalchemy.sql.elements import ColumnElement

TIME_DIMENSIONS = ("month", "quarter", "week")


def period_key(dim: str, day: date) -> str:
    """``2026-04``, ``2026-Q2`` or ``2026-W14`` (ISO week and ISO year) of a local day."""
    if dim == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if dim == "quarter":
        return f"{day.year:04d}-Q{(day.month + 2) // 3}"
    if dim == "week":
        iso = day.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    raise ValueError(f"not a time dimension: {dim!r}")


def _next_start(dim: str, day: date) -> date:
    """The first day of the month, quarter or week after the one holding ``day``."""
    if dim == "week":
        return day - timedelta(days=day.weekday()) + timedelta(weeks=1)
    months = 3 if dim == "quarter" else 1
    first_month = day.month if dim == "month" else (day.month - 1) // 3 * 3 + 1
    after = day.year * 12 + first_month - 1 + months
    return date(after // 12, after % 12 + 1, 1)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Piece:
    """A stretch of time [start, end) that lies in one month, quarter and week."""

    keys: dict[str, str]
    start: datetime
    end: datetime


def pieces(dims: Sequence[str], start: datetime, end: datetime, zone: ZoneInfo) -> list[Piece]:
    """Cuts [start, end) at every local boundary of the time dimensions in ``dims``."""
    dims = [d for d in dims if d in TIME_DIMENSIONS]
    cuts = {start, end}
    for dim in dims:
        day = start.astimezone(zone).date()
        while (moment := _midnight(day := _next_start(dim, day), zone)) < end:
            if moment > start:
                cuts.add(moment)
    ordered = sorted(cuts)
    result = []
    for low, high in pairwise(ordered):
        local_day = low.astimezone(zone).date()
        result.append(Piece({dim: period_key(dim, local_day) for dim in dims}, low, high))
    return result


def postgres_period_keys(column: Any, zone: ZoneInfo) -> dict[str, ColumnElement[str]]:
    """PostgreSQL expressions for the local month, quarter and ISO week of ``column``."""
    local = func.timezone(literal(zone.key, String), column)
    return {
        "month": func.to_char(local, "YYYY-MM"),
        "quarter": func.to_char(local, 'YYYY-"Q"Q'),
        "week": func.to_char(local, 'IYYY-"W"IW'),
    }
