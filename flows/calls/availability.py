"""When a belmaatje can call: weekly windows typed as ``ma 10-12, wo 14:00-16:30``.

Also finds the first free slot inside those windows (not within ``gap`` of another of
their calls) and tells whether a picked time falls outside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flows.calls.when import _WEEKDAYS, round_up
from flows.errors import AvailabilityError

HORIZON_DAYS = 21
STEP = timedelta(minutes=15)
GAP = timedelta(minutes=15)
MAX_WINDOWS = 28

_GROUPS = {
    "werkdagen": (0, 1, 2, 3, 4),
    "weekdays": (0, 1, 2, 3, 4),
    "weekend": (5, 6),
    "dagelijks": tuple(range(7)),
    "daily": tuple(range(7)),
}
_RANGE = re.compile(
    r"^(\d{1,2})(?:[:.u](\d{2}))?u?\s*(?:-|–|tot|to)\s*(\d{1,2})(?:[:.u](\d{2}))?u?$"
)


@dataclass(frozen=True, order=True)
class Window:
    """A weekday (0 = Monday) and a local time window in minutes after midnight."""

    weekday: int
    start: int
    end: int

    def label(self, day_names: list[str]) -> str:
        """``maandag 10:00–12:00``."""
        return f"{day_names[self.weekday]} {_hhmm(self.start)}–{_hhmm(self.end)}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days(token: str) -> tuple[int, ...] | None:
    if token in _GROUPS:
        return _GROUPS[token]
    if token in _WEEKDAYS:
        return (_WEEKDAYS[token],)
    first, dash, last = token.partition("-")
    if dash and first in _WEEKDAYS and last in _WEEKDAYS:
        a, b = _WEEKDAYS[first], _WEEKDAYS[last]
        return tuple(range(a, b + 1)) if a <= b else tuple(range(a, 7)) + tuple(range(b + 1))
    return None


def _span(token: str) -> tuple[int, int] | None:
    match = _RANGE.match(token)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) if g else 0 for g in match.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        raise AvailabilityError("avail_bad_time", token)
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start or end > 24 * 60:
        raise AvailabilityError("avail_end_before_start", token)
    return start, end


def parse_availability(text: str) -> list[Window]:
    """Reads ``ma 10-12, wo 14:00-16:30``, ``werkdagen 9-12``, ``di do 10u-11u30``.

    Raises:
        AvailabilityError: ``avail_empty``, ``avail_unreadable``, ``avail_no_days``,
            ``avail_no_time``, ``avail_bad_time``, ``avail_end_before_start``, ``avail_too_many``.
    """
    cleaned = re.sub(r"\s*(-|–)\s*", "-", text.casefold())
    cleaned = re.sub(r"(\d)\s+(tot|to)\s+(\d)", r"\1-\3", cleaned)
    pieces = [p.split() for p in re.split(r"[,;\n]+", cleaned) if p.strip()]
    if not pieces:
        raise AvailabilityError("avail_empty")
    windows: set[Window] = set()
    for words in pieces:
        days: list[int] = []
        spans: list[tuple[int, int]] = []
        for word in words:
            if (found := _days(word)) is not None:
                if spans:  # "ma 10-12 wo 14-16" without a comma: a new piece begins
                    windows |= {Window(d, s, e) for d in days for s, e in spans}
                    days, spans = [], []
                days.extend(found)
            elif (span := _span(word)) is not None:
                spans.append(span)
            elif word not in ("en", "and", "van", "from", "om", "at"):
                raise AvailabilityError("avail_unreadable", word[:30])
        if not days:
            raise AvailabilityError("avail_no_days", " ".join(words)[:30])
        if not spans:
            raise AvailabilityError("avail_no_time", " ".join(words)[:30])
        windows |= {Window(d, s, e) for d in days for s, e in spans}
    if len(windows) > MAX_WINDOWS:
        raise AvailabilityError("avail_too_many")
    return sorted(windows)


def is_available(windows: list[Window], at: datetime, zone: ZoneInfo) -> bool:
    """True when ``at`` falls inside one of the windows (no windows: always available)."""
    if not windows:
        return True
    local = at.astimezone(zone)
    minute = local.hour * 60 + local.minute
    return any(w.weekday == local.weekday() and w.start <= minute < w.end for w in windows)


def first_free_slot(
    windows: list[Window],
    *,
    busy: list[datetime],
    start: datetime,
    zone: ZoneInfo,
    gap: timedelta = GAP,
) -> datetime | None:
    """The first quarter hour from ``start`` inside the windows and ``gap`` away from ``busy``.

    Returns None when there are no windows, or nothing free within three weeks.
    """
    if not windows:
        return None
    cursor = round_up(start.astimezone(zone))
    end = cursor + timedelta(days=HORIZON_DAYS)
    while cursor < end:
        if is_available(windows, cursor, zone) and all(abs(cursor - b) >= gap for b in busy):
            return cursor
        cursor = round_up((cursor.astimezone(ZoneInfo("UTC")) + STEP).astimezone(zone))
    return None
