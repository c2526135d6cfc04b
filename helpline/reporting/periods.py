"""Report periods: whole local days, the last one included.

A period runs from the start of its first day to the end of its last day in the
line's time zone (setting TIME_ZONE). ``bounds`` turns that into the two UTC
instants the database compares with; DST is the time zone's business, not ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flows.errors import PeriodError
from flows.labels import Labels
from storage.repository.localtime import period_key

FIRST_YEAR, LAST_YEAR = 2000, 2100
_PERIOD = re.compile(r"^(\d{4})(?:-(?:([qQ])([1-4])|(\d{2})))?$")


@dataclass(frozen=True)
class Period:
    """The local days ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise PeriodError(f"the period starts ({self.start}) after it ends ({self.end})")

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The UTC instants [start of the first day, start of the day after the last)."""

        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

        return midnight(self.start), midnight(self.end + timedelta(days=1))

    def days(self) -> Iterator[date]:
        """Every day of the period, in order."""
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)

    def label(self, labels: Labels) -> str:
        """``2026``, ``1e kwartaal 2026``, ``maart 2026`` or ``2026-01-01 t/m 2026-02-14``."""
        start, end = self.start, self.end
        next_day = end + timedelta(days=1)
        if start.day == 1 and next_day.day == 1:
            months = (next_day.year - start.year) * 12 + next_day.month - start.month
            if months == 12 and start.month == 1:
                return labels.period["year"].format(year=start.year)
            if months == 3 and start.month % 3 == 1:
                return labels.quarter(start.year, (start.month + 2) // 3)
            if months == 1:
                return labels.month(start.year, start.month)
        return labels.period["range"].format(start=start.isoformat(), end=end.isoformat())


def _year(value: str) -> int:
    year = int(value)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(f"year {year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return year


def month_period(year: int, month: int, months: int = 1) -> Period:
    """``months`` whole calendar months from ``year-month``."""
    after = year * 12 + month - 1 + months
    return Period(date(year, month, 1), date(after // 12, after % 12 + 1, 1) - timedelta(days=1))


def parse_period(text: str, *, today: date) -> Period:
    """Reads ``2026``, ``2026-Q1`` or ``2026-03``; empty means this year up to today.

    Raises:
        PeriodError: for anything else.
    """
    text = text.strip()
    if not text:
        return Period(date(today.year, 1, 1), today)
    match = _PERIOD.match(text)
    if match is None:
        raise PeriodError(f"unknown period {text!r}; use 2026, 2026-Q1 or 2026-03")
    year = _year(match.group(1))
    if match.group(3):
        return month_period(year, int(match.group(3)) * 3 - 2, months=3)
    if match.group(4):
        month = int(match.group(4))
        if not 1 <= month <= 12:
            raise PeriodError(f"unknown month {month:02d}")
        return month_period(year, month)
    return Period(date(year, 1, 1), date(year, 12, 31))


def parse_day(text: str) -> date:
    """Reads a ``YYYY-MM-DD`` day of a command-line option.

    Raises:
        PeriodError: for anything else.
    """
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"{text!r} is not a date like 2026-03-31") from None
    _year(str(day.year))
    return day


def period_keys(period: Period, dim: str) -> list[str]:
    """Every month, quarter or ISO week key the period touches, in order."""
    return list(dict.fromkeys(period_key(dim, day) for day in period.days()))
