"""Recurring calls as RFC 5545 rules (python-dateutil's ``rrule``), expanded in local time.

The rule is stored as text (``FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=10``) with the first
occurrence as naive local time, so "every Tuesday at 10:00" stays 10:00 across DST.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from flows.errors import RepeatError

FREQS = ("daily", "weekly")
MAX_COUNT = 200
MAX_INTERVAL = 8
MAX_SPAN = timedelta(days=2 * 366)
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Repeat:
    """How a call repeats: daily or every ``interval`` weeks, ``count`` times or ``until``."""

    freq: str = "weekly"
    interval: int = 1
    count: int | None = None
    until: date | None = None

    def rule(self, weekday: int) -> str:
        """The RFC 5545 RRULE text for a first call on ``weekday`` (0 = Monday)."""
        if self.freq not in FREQS or not 1 <= self.interval <= MAX_INTERVAL:
            raise RepeatError("repeat_bad")
        if self.count is not None and not 1 <= self.count <= MAX_COUNT:
            raise RepeatError("repeat_bad_count")
        parts = [f"FREQ={self.freq.upper()}", f"INTERVAL={self.interval}"]
        if self.freq == "weekly":
            parts.append(f"BYDAY={_BYDAY[weekday]}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        elif self.until is not None:
            parts.append(f"UNTIL={self.until:%Y%m%d}T235959")
        return ";".join(parts)

    @classmethod
    def from_rule(cls, rule: str) -> Repeat:
        """Reads back a rule written by ``rule`` (for showing it to people)."""
        fields = dict(part.split("=", 1) for part in rule.split(";") if "=" in part)
        until = fields.get("UNTIL")
        return cls(
            freq=fields.get("FREQ", "WEEKLY").lower(),
            interval=int(fields.get("INTERVAL", "1")),
            count=int(fields["COUNT"]) if "COUNT" in fields else None,
            until=datetime.strptime(until[:8], "%Y%m%d").date() if until else None,
        )


def local_start(first: datetime, zone: ZoneInfo) -> str:
    """The first occurrence as naive local ISO text (what ``CallSeries.dtstart_local`` holds)."""
    return first.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0).isoformat()


def _rule(rule: str, start_local: str) -> rrule:
    parsed = rrulestr(rule, dtstart=datetime.fromisoformat(start_local))
    if not isinstance(parsed, rrule):
        raise RepeatError("repeat_bad")
    return parsed


def next_occurrence(
    rule: str, start_local: str, zone: ZoneInfo, *, after: datetime
) -> datetime | None:
    """The first occurrence strictly after ``after`` (aware, UTC), or None when the rule ended."""
    # Step back a little in local time: an aware instant has no unique naive local twin
    # around the autumn change, so look from before it and compare as aware times.
    probe = after.astimezone(zone).replace(tzinfo=None) - timedelta(hours=3)
    for naive in _rule(rule, start_local).xafter(probe, count=MAX_COUNT + 10):
        moment = naive.replace(tzinfo=zone).astimezone(UTC)
        if moment > after:
            return moment
    return None


def occurrences(
    rule: str, start_local: str, zone: ZoneInfo, *, limit: int = MAX_COUNT
) -> list[datetime]:
    """The first ``limit`` occurrences (aware, UTC), for previews and tests."""
    result = []
    for naive in _rule(rule, start_local):
        result.append(naive.replace(tzinfo=zone).astimezone(UTC))
        if len(result) >= limit:
            break
    return result


def count_between(
    rule: str, start_local: str, zone: ZoneInfo, *, start: datetime, end: datetime
) -> int:
    """How many occurrences fall strictly between two aware instants (skipped during downtime)."""
    count, cursor = 0, start
    while (moment := next_occurrence(rule, start_local, zone, after=cursor)) is not None:
        if moment >= end or count > MAX_COUNT:
            break
        count, cursor = count + 1, moment
    return count


_COUNT = re.compile(r"\b(\d{1,3})\s*(?:x|keer|maal|times)\b")
_EVERY_N = re.compile(r"\b(?:om de|elke|iedere|every)\s+(\d)\s+(?:weken|weeks)\b")
_UNTIL = re.compile(r"\b(?:tot en met|t/m|tot|until)\s+(\S+)")
_DAILY = re.compile(r"\b(?:dagelijks|elke dag|iedere dag|daily|every day)\b")
_WEEKLY = re.compile(r"\b(?:wekelijks|elke week|iedere week|weekly|every week)\b")
_BIWEEKLY = re.compile(r"\b(?:tweewekelijks|biweekly|fortnightly)\b")


def _until_date(token: str, today: date) -> date:
    match = re.match(r"^(\d{1,2})[-/](\d{1,2})(?:[-/](\d{2,4}))?$", token) or re.match(
        r"^(\d{4})-(\d{1,2})-(\d{1,2})$", token
    )
    if match is None:
        raise RepeatError("repeat_bad_until")
    a, b, c = match.groups()
    try:
        if len(a) == 4:
            return date(int(a), int(b), int(c))
        year = int(c) if c else today.year
        result = date(year + 2000 if year < 100 else year, int(b), int(a))
    except ValueError:
        raise RepeatError("repeat_bad_until") from None
    return result if c or result >= today else result.replace(year=result.year + 1)


def parse_repeat(text: str, *, today: date) -> tuple[Repeat | None, str]:
    """Finds a repetition in typed text (``wekelijks 10x``, ``om de 2 weken tot 30-06``).

    Returns the repetition (None for a one-off call) and the text without it.
    """
    lowered = text.casefold()
    freq, interval = None, 1
    for pattern, found in ((_DAILY, "daily"), (_WEEKLY, "weekly"), (_BIWEEKLY, "biweekly")):
        if pattern.search(lowered):
            freq = found
            lowered = pattern.sub(" ", lowered)
    if (match := _EVERY_N.search(lowered)) is not None:
        freq, interval = "weekly", int(match[1])
        lowered = _EVERY_N.sub(" ", lowered)
    if freq == "biweekly":
        freq, interval = "weekly", 2
    count = until = None
    if (match := _COUNT.search(lowered)) is not None:
        count = int(match[1])
        lowered = _COUNT.sub(" ", lowered)
    if (match := _UNTIL.search(lowered)) is not None:
        until = _until_date(match[1], today)
        lowered = _UNTIL.sub(" ", lowered)
    if freq is None:
        if count is not None or until is not None:
            raise RepeatError("repeat_no_freq")
        return None, text
    if until is not None and (until < today or until - today > MAX_SPAN):
        raise RepeatError("repeat_bad_until")
    if count is not None and not 1 <= count <= MAX_COUNT:
        raise RepeatError("repeat_bad_count")
    if not 1 <= interval <= MAX_INTERVAL:
        raise RepeatError("repeat_bad")
    return Repeat(freq, interval, count, until), " ".join(lowered.split())
