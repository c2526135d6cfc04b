"""When to call: quick picks and forgiving typed dates/times, in the line's local time.

``parse_when("morgen 10:00", now=…, zone=…)`` gives an aware datetime; anything it
cannot read raises ``WhenError`` whose ``key`` names the re-prompt text.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flows.calls.config import CallConfig
from flows.errors import WhenError

QUICK_PICKS = ("today", "tom_am", "tom_pm", "week")
MAX_AHEAD = timedelta(days=366)
QUARTER = 15

_WEEKDAYS = {
    **dict.fromkeys(("maandag", "ma", "monday", "mon", "mo"), 0),
    **dict.fromkeys(("dinsdag", "di", "tuesday", "tue", "tu"), 1),
    **dict.fromkeys(("woensdag", "wo", "wednesday", "wed", "we"), 2),
    **dict.fromkeys(("donderdag", "do", "thursday", "thu", "th"), 3),
    **dict.fromkeys(("vrijdag", "vr", "friday", "fri", "fr"), 4),
    **dict.fromkeys(("zaterdag", "za", "saturday", "sat", "sa"), 5),
    **dict.fromkeys(("zondag", "zo", "sunday", "sun", "su"), 6),
}
_MONTHS = {
    name: index + 1
    for index, names in enumerate(
        (
            ("januari", "jan", "january"),
            ("februari", "feb", "february"),
            ("maart", "mrt", "march", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "jun", "june"),
            ("juli", "jul", "july"),
            ("augustus", "aug", "august"),
            ("september", "sep", "sept"),
            ("oktober", "okt", "october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        )
    )
    for name in names
}
_RELATIVE_DAYS = {
    "vandaag": 0,
    "today": 0,
    "morgen": 1,
    "tomorrow": 1,
    "overmorgen": 2,
}
_UNITS = ("dag", "dagen", "day", "days", "week", "weken", "weeks")
_FILLER = {"om", "at", "op", "on", "de", "het", "the", "uur", "o'clock", "rond", "around"}
_PARTS = {"ochtend": "morning", "morning": "morning", "middag": "afternoon"}
_PARTS["afternoon"] = "afternoon"


def round_up(local: datetime, minutes: int = QUARTER) -> datetime:
    """The next whole ``minutes`` at or after ``local`` (seconds dropped)."""
    local = local.replace(second=0, microsecond=0)
    extra = (-local.minute) % minutes
    return local + timedelta(minutes=extra)


def at_local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """``day`` at ``clock`` in ``zone`` (aware); a time skipped by DST moves forward."""
    return datetime.combine(day, clock, tzinfo=zone)


def quick_pick(key: str, *, now: datetime, zone: ZoneInfo, config: CallConfig) -> datetime | None:
    """The moment a quick pick stands for (None when it no longer fits today, or unknown)."""
    local = now.astimezone(zone)
    tomorrow = local.date() + timedelta(days=1)
    if key == "today":
        moment = round_up(local + config.later_today)
        if moment.date() != local.date() or moment.time() > config.last_call:
            return None
        return moment
    if key == "tom_am":
        return at_local(tomorrow, config.morning, zone)
    if key == "tom_pm":
        return at_local(tomorrow, config.afternoon, zone)
    if key == "week":
        moment = round_up(local)
        clock = moment.time()
        if not config.morning <= clock <= config.last_call:
            clock = config.morning
        return at_local(local.date() + timedelta(days=7), clock, zone)
    return None


_TIME = re.compile(
    r"^(?P<h>\d{1,2})(?:[:.hu](?P<m>\d{2}))?(?:u|h|uur)?(?P<ampm>am|pm)?$",
)
_DATE_NUMERIC = re.compile(r"^(?P<d>\d{1,2})[-/](?P<m>\d{1,2})(?:[-/](?P<y>\d{2,4}))?$")
_DATE_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")


def _read_time(token: str) -> time | None:
    match = _TIME.match(token)
    if match is None:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["ampm"] == "pm" and hour < 12:
        hour += 12
    if match["ampm"] == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise WhenError("when_bad_time", token)
    return time(hour, minute)


def _make_date(year: int, month: int, day: int, token: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise WhenError("when_bad_date", token) from None


def _tokens(text: str) -> list[str]:
    cleaned = text.casefold().replace(",", " ")
    # "10 uur" and "10 u" belong together; "morgenochtend" is two words.
    cleaned = re.sub(r"(\d)\s+(uur|u|h)\b", r"\1u", cleaned)
    cleaned = re.sub(r"\b(morgen|vandaag|overmorgen)(ochtend|middag)\b", r"\1 \2", cleaned)
    return [t for t in cleaned.split() if t not in _FILLER]


def parse_when(text: str, *, now: datetime, zone: ZoneInfo, config: CallConfig) -> datetime:
    """Reads a typed moment such as ``morgen 10:00``, ``di 14u``, ``12-05 9.30``, ``12 mei 10``.

    Raises:
        WhenError: with ``key`` ``when_empty``, ``when_unreadable``, ``when_no_time``,
            ``when_bad_time``, ``when_bad_date``, ``when_past`` or ``when_far``.
    """
    local_now = now.astimezone(zone)
    tokens = _tokens(text)
    if not tokens:
        raise WhenError("when_empty")
    day: date | None = None
    clock: time | None = None
    by_weekday = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if token in _RELATIVE_DAYS:
            day = local_now.date() + timedelta(days=_RELATIVE_DAYS[token])
        elif token in ("over", "in") and following:
            amount = 1 if following in ("een", "a", "1") else None
            amount = amount or (int(following) if following.isdigit() else None)
            unit = tokens[index + 2] if index + 2 < len(tokens) else ""
            if amount is None or unit not in _UNITS:
                raise WhenError("when_unreadable", token)
            days = amount * (7 if unit.startswith("w") else 1)
            day = local_now.date() + timedelta(days=days)
            index += 2
        elif token in ("volgende", "next") and following in ("week",):
            day = local_now.date() + timedelta(days=7)
            index += 1
        elif token in _WEEKDAYS:
            ahead = (_WEEKDAYS[token] - local_now.weekday()) % 7
            day = local_now.date() + timedelta(days=ahead)
            by_weekday = True
        elif token in _PARTS:
            clock = config.morning if _PARTS[token] == "morning" else config.afternoon
        elif (match := _DATE_ISO.match(token)) is not None:
            day = _make_date(int(match["y"]), int(match["m"]), int(match["d"]), token)
        elif (match := _DATE_NUMERIC.match(token)) is not None:
            year = int(match["y"]) if match["y"] else local_now.year
            year = year + 2000 if year < 100 else year
            day = _make_date(year, int(match["m"]), int(match["d"]), token)
            if not match["y"] and day < local_now.date():
                day = _make_date(year + 1, day.month, day.day, token)
        elif token.isdigit() and following in _MONTHS:
            day = _make_date(local_now.year, _MONTHS[following], int(token), token)
            if day < local_now.date():
                day = _make_date(local_now.year + 1, day.month, day.day, token)
            index += 1
        elif (parsed := _read_time(token)) is not None:
            clock = parsed
        else:
            raise WhenError("when_unreadable", token[:30])
        index += 1
    if clock is None:
        raise WhenError("when_no_time")
    if day is None:  # only a time: today if it is still ahead, else tomorrow
        day = local_now.date()
        if at_local(day, clock, zone) <= local_now:
            day += timedelta(days=1)
    elif by_weekday and day == local_now.date() and at_local(day, clock, zone) <= now:
        day += timedelta(days=7)  # "maandag 10:00" said on Monday afternoon: next Monday
    moment = at_local(day, clock, zone)
    if moment <= now:
        raise WhenError("when_past")
    if moment - now > MAX_AHEAD:
        raise WhenError("when_far")
    return moment


_REFERENCE = re.compile(r"^([A-Za-z]{1,6})-?(\d{4})-?(\d{1,5})$")


def parse_reference(text: str) -> str | None:
    """``hh-2026-42`` → ``HH-2026-00042``; None when it does not look like a reference."""
    match = _REFERENCE.match(text.strip())
    if match is None:
        return None
    return f"{match[1].upper()}-{match[2]}-{int(match[3]):05d}"
