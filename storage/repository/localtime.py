"""SQL for the local calendar (month, quarter, ISO week) of a UTC time column.

Times are stored in UTC, but a report counts by the line's calendar: a contact at
2026-03-31 22:30 UTC happened on 1 April in Amsterdam. PostgreSQL converts with
``timezone(zone, column)``. SQLite knows no time zones, so the UTC offsets that
apply within the report period are looked up in Python (zoneinfo) and written into
the query as a ``CASE`` on the stored time: a handful of branches (two per year
under daylight saving time), any time zone, and no Python call per row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, case, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

TIME_DIMENSIONS = ("month", "quarter", "week")

# Coarse enough to be cheap over years, fine enough to catch every offset change
# (zones change offset at most a few times a year, never twice within hours).
_STEP = timedelta(hours=6)


def _offset(zone: ZoneInfo, moment: datetime) -> int:
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def offset_segments(
    zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime | None, int]]:
    """The UTC offsets of ``zone`` between the aware instants ``start`` and ``end``.

    Returns:
        ``[(until, seconds), ...]``: ``seconds`` applies to instants before ``until``
        (UTC) and from the previous ``until`` on; the last entry has ``until=None``.
    """
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    segments: list[tuple[datetime | None, int]] = []
    current = _offset(zone, start)
    moment = start
    while moment < end:
        step_to = min(moment + _STEP, end)
        if _offset(zone, step_to) != current:
            low, high = moment, step_to  # offset(low) == current != offset(high)
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == current:
                    low = middle
                else:
                    high = middle
            change = high.replace(microsecond=0)
            segments.append((change, current))
            current = _offset(zone, change)
        moment = step_to
    segments.append((None, current))
    return segments


def _sqlite_modifier(
    column: Any, zone: ZoneInfo, start: datetime, end: datetime
) -> ColumnElement[str]:
    """The SQLite date modifier (``'+7200 seconds'``) that turns ``column`` into local time."""
    segments = offset_segments(zone, start, end)
    if len(segments) == 1:
        return literal(f"{segments[0][1]:+d} seconds", String)
    whens = [(column < until, f"{seconds:+d} seconds") for until, seconds in segments[:-1]]
    return case(*whens, else_=f"{segments[-1][1]:+d} seconds")


def local_period_keys(
    column: Any, *, dialect: str, zone: ZoneInfo, start: datetime, end: datetime
) -> dict[str, ColumnElement[str]]:
    """SQL expressions for the local ``month`` (2026-04), ``quarter`` (2026-Q2) and
    ``week`` (2026-W14, ISO) of ``column``, valid for rows between ``start`` and ``end``.
    """
    if dialect == "postgresql":
        local = func.timezone(literal(zone.key, String), column)
        return {
            "month": func.to_char(local, "YYYY-MM"),
            "quarter": func.to_char(local, 'YYYY-"Q"Q'),
            "week": func.to_char(local, 'IYYY-"W"IW'),
        }
    modifier = _sqlite_modifier(column, zone, start, end)
    month_number = cast(func.strftime("%m", column, modifier), Integer)
    # SQLite before 3.46 has no %G/%V: the ISO week is the one holding the Thursday
    # of the row's week, whose year is the ISO year.
    thursday = func.date(column, modifier, "-3 days", "weekday 4")
    week_number = (cast(func.strftime("%j", thursday), Integer) - 1) // 7 + 1
    return {
        "month": func.strftime("%Y-%m", column, modifier),
        "quarter": func.strftime("%Y", column, modifier)
        + "-Q"
        + cast((month_number + 2) // 3, String),
        "week": func.strftime("%Y", thursday) + "-W" + func.printf("%02d", week_number),
    }
