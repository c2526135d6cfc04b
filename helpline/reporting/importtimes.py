"""Times in import files: local times as written in spreadsheets and CSV, made UTC.

``YYYY-MM-DD[ HH:MM[:SS]]`` and the Dutch ``D-M-YYYY``; a datetime or date cell as it
is. A file of a million rows mostly repeats a few thousand hours, so ``LocalHours``
works out each hour's offset once.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

FIRST_YEAR = 2000
_CLOCK = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
_WHEN = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _CLOCK)
# How Dutch spreadsheets write dates: day first, then month, then the year (1-2-2026).
_WHEN_NL = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})" + _CLOCK)
FIRST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
# The usual way of writing a time, "2025-04-16 14:46" (seconds or a T optional): the
# zone's offset is worked out once per local hour, not once per row.
_HOUR = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}")
_HOURS_MAX = 50_000  # about six years of hours; later ones take the ordinary way
_UNSEEN = object()


def cell_text(value: Any) -> str:
    """A cell as text, trimmed; a whole float as the integer it was typed as."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet turns reference 1234 into 1234.0
    return str(value).strip()


def parse_when(value: Any, zone: ZoneInfo) -> datetime:
    """A cell's local time (in ``zone``) as UTC.

    Raises:
        ValueError: for a way of writing it not understood, or a day that does not exist.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), zone).astimezone(UTC)
    text = cell_text(value)
    if match := _WHEN.match(text):
        year, month, day, hour, minute, second = map(int, match.groups("0"))
    elif match := _WHEN_NL.match(text):
        day, month, year, hour, minute, second = map(int, match.groups("0"))
    else:
        raise ValueError("use YYYY-MM-DD or D-M-YYYY, with HH:MM if you like")
    # raises for 2026-02-30
    return datetime(year, month, day, hour, minute, second, tzinfo=zone).astimezone(UTC)


def _minutes() -> dict[str, tuple[timedelta, str]]:
    """``":46"`` and ``":46:05"`` (every valid one): how far into its hour, and the
    ISO text of that part."""
    found = {}
    for minute in range(60):
        found[f":{minute:02d}"] = (timedelta(minutes=minute), f":{minute:02d}:00")
        for second in range(60):
            found[f":{minute:02d}:{second:02d}"] = (
                timedelta(minutes=minute, seconds=second),
                f":{minute:02d}:{second:02d}",
            )
    return found


class LocalHours:
    """Converts ``YYYY-MM-DD HH:MM[:SS]`` times to UTC with one zone look-up per hour.

    Gives exactly what ``parse_when`` gives, or None for any time it should handle itself:
    another way of writing, an hour in which the offset changes (only whole hours are
    remembered), an hour not wholly between 2000 and now (those rows need a message).
    """

    def __init__(self, zone: ZoneInfo, now: datetime) -> None:
        self.zone, self.now = zone, now
        self.hours: dict[str, Any] = {}
        self.minutes = _minutes()

    def convert(self, text: str) -> tuple[datetime, str] | None:
        """The time in UTC and its ``isoformat()``; None: use ``parse_when``."""
        hour = self.hours.get(text[:13], _UNSEEN)
        if hour is _UNSEEN:
            hour = self._hour(text[:13])
        if hour is None:
            return None
        minute = self.minutes.get(text[13:])
        if minute is None:
            return None
        when = hour[0] + minute[0]
        return when, (hour[1] + minute[1] + "+00:00") if hour[1] else when.isoformat()

    def _hour(self, prefix: str) -> tuple[datetime, str | None] | None:
        found = None
        if _HOUR.fullmatch(prefix):
            year, month, day, hour = (
                int(prefix[a:b]) for a, b in ((0, 4), (5, 7), (8, 10), (11, 13))
            )
            try:
                start = datetime(year, month, day, hour, tzinfo=self.zone)
            except ValueError:
                start = None
            last = start.replace(minute=59, second=59) if start else None
            if start and last and start.utcoffset() == last.utcoffset():
                utc = start.astimezone(UTC)
                if utc >= FIRST and utc + (last - start) <= self.now:
                    whole = (start.utcoffset() or timedelta()) % timedelta(hours=1) == timedelta()
                    # With a whole-hour offset the minutes read the same in UTC.
                    found = (utc, utc.isoformat()[:13] if whole else None)
        if len(self.hours) < _HOURS_MAX:
            self.hours[prefix] = found
        return found
