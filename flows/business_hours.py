"""Opening hours and closing days: when the line answers, and business-time arithmetic.

Times go in and out aware; the arithmetic happens in the line's local time zone so
"09:00" stays nine o'clock across the DST change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flows.errors import HoursError
from flows.public_holidays import PublicHolidays

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SEARCH_DAYS = 60  # no line is closed for two months; stop looking after that


@dataclass(frozen=True)
class OpeningHours:
    """Weekly opening hours plus closing days, in one time zone."""

    zone: ZoneInfo
    weekly: dict[int, tuple[time, time]]  # weekday → (open, close)
    closing_days: frozenset[date]
    public_holidays: PublicHolidays = field(
        default_factory=PublicHolidays, compare=False, repr=False
    )

    @classmethod
    def from_config(cls, table: dict[str, Any], zone: ZoneInfo) -> OpeningHours:
        """Parses the ``[opening_hours]`` table; raises ``HoursError`` naming the bad entry."""
        weekly: dict[int, tuple[time, time]] = {}
        for index, day in enumerate(DAYS):
            span = table.get(day)
            if span is None:
                continue
            try:
                start_s, end_s = str(span).split("-")
                start, end = time.fromisoformat(start_s.strip()), time.fromisoformat(end_s.strip())
            except ValueError:
                raise HoursError(
                    f"opening_hours.{day}: expected HH:MM-HH:MM, got {span!r}"
                ) from None
            if end <= start:
                raise HoursError(f"opening_hours.{day}: closes before it opens")
            weekly[index] = (start, end)
        try:
            closed = frozenset(date.fromisoformat(d) for d in table.get("closing_days", []))
        except (TypeError, ValueError):
            raise HoursError("opening_hours.closing_days: expected YYYY-MM-DD dates") from None
        return cls(zone, weekly, closed)

    def is_open_day(self, day: date) -> bool:
        """True when the line answers on this (local) date at all."""
        return (
            day.weekday() in self.weekly
            and day not in self.closing_days
            and day not in self.public_holidays
        )

    def _span(self, day: date) -> tuple[datetime, datetime]:
        start, end = self.weekly[day.weekday()]
        return (
            datetime.combine(day, start, tzinfo=self.zone),
            datetime.combine(day, end, tzinfo=self.zone),
        )

    def is_open(self, at: datetime) -> bool:
        """True when the line is staffed at ``at``."""
        local = at.astimezone(self.zone)
        if not self.is_open_day(local.date()):
            return False
        start, end = self._span(local.date())
        return start <= local < end

    def next_open(self, at: datetime) -> datetime | None:
        """The first moment at or after ``at`` when the line is open (None if never)."""
        local = at.astimezone(self.zone)
        for offset in range(SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            if not self.is_open_day(day):
                continue
            start, end = self._span(day)
            if local < end:
                return max(start, local)
        return None

    def add(self, at: datetime, duration: timedelta) -> datetime | None:
        """``at`` plus ``duration`` of opening time (None when no opening time is configured)."""
        remaining = duration
        cursor = self.next_open(at)
        while cursor is not None:
            _, end = self._span(cursor.astimezone(self.zone).date())
            available = end - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
            cursor = self.next_open(end)
        return None
