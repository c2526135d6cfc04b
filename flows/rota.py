"""The rota (telefonische bezetting): who answers the phone when. Pure: no database, no clock.

A rota is weekly shifts (a staff member, a weekday, a time range) plus exceptions for
one date: *vrij* (off, the whole day or a range) and *extra* (on duty for a range).
On a closing day or public holiday of the opening-hours calendar the weekly shifts do
not apply; an *extra* for that date does. Times are minutes after local midnight, so
a range can end at 24:00.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise

from flows.business_hours import OpeningHours
from flows.errors import RotaInputError

DAY_MINUTES = 24 * 60
# What /rooster reads as a weekday (Dutch and English, short and long).
WEEKDAYS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        ("ma", "maandag", "mon", "monday"),
        ("di", "dinsdag", "tue", "tuesday"),
        ("wo", "woensdag", "wed", "wednesday"),
        ("do", "donderdag", "thu", "thursday"),
        ("vr", "vrijdag", "fri", "friday"),
        ("za", "zaterdag", "sat", "saturday"),
        ("zo", "zondag", "sun", "sunday"),
    )
):
    WEEKDAYS.update(dict.fromkeys(_names, _index))


@dataclass(frozen=True, order=True)
class Span:
    """A time range of one day, ``start`` ≤ t < ``end``, in minutes after midnight."""

    start: int
    end: int

    def covers(self, minute: int) -> bool:
        """True when the minute falls inside the range."""
        return self.start <= minute < self.end

    def label(self) -> str:
        """``09:00–12:30``."""
        return f"{_hm(self.start)}–{_hm(self.end)}"


WHOLE_DAY = Span(0, DAY_MINUTES)


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class WeeklyShift:
    """A staff member answers the phone every ``weekday`` (0 = Monday) during ``span``."""

    staff_id: int
    weekday: int
    span: Span


@dataclass(frozen=True)
class RotaException:
    """On ``day``: the staff member is off (``on_duty`` False) or on duty extra during ``span``."""

    staff_id: int
    day: date
    span: Span
    on_duty: bool


@dataclass(frozen=True)
class Rota:
    """Everything the rota holds (of active staff members)."""

    shifts: tuple[WeeklyShift, ...] = ()
    exceptions: tuple[RotaException, ...] = ()


def on_duty_at(rota: Rota, hours: OpeningHours, day: date, minute: int) -> frozenset[int]:
    """The staff ids on duty on ``day`` (local) at ``minute`` after midnight."""
    holiday = day in hours.closing_days or day in hours.public_holidays
    ids = set()
    if not holiday:
        ids = {
            s.staff_id for s in rota.shifts if s.weekday == day.weekday() and s.span.covers(minute)
        }
    today = [e for e in rota.exceptions if e.day == day and e.span.covers(minute)]
    ids -= {e.staff_id for e in today if not e.on_duty}
    ids |= {e.staff_id for e in today if e.on_duty}  # an extra shift wins over "vrij"
    return frozenset(ids)


def on_duty(rota: Rota, hours: OpeningHours, at: datetime) -> frozenset[int]:
    """The staff ids on duty at the moment ``at``."""
    local = at.astimezone(hours.zone)
    return on_duty_at(rota, hours, local.date(), local.hour * 60 + local.minute)


def _edges(rota: Rota, day: date) -> Iterable[int]:
    for shift in rota.shifts:
        if shift.weekday == day.weekday():
            yield from (shift.span.start, shift.span.end)
    for item in rota.exceptions:
        if item.day == day:
            yield from (item.span.start, item.span.end)


def uncovered(
    rota: Rota, hours: OpeningHours, first_day: date, days: int = 7
) -> list[tuple[date, Span]]:
    """The opening hours of ``days`` days from ``first_day`` when nobody is on duty."""
    gaps: list[tuple[date, Span]] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if not hours.is_open_day(day):
            continue
        opens, closes = hours.weekly[day.weekday()]
        start, end = opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute
        cuts = sorted({start, end, *(m for m in _edges(rota, day) if start < m < end)})
        for low, high in pairwise(cuts):
            if on_duty_at(rota, hours, day, low):
                continue
            if gaps and gaps[-1][0] == day and gaps[-1][1].end == low:
                gaps[-1] = (day, Span(gaps[-1][1].start, high))  # one gap, not two
            else:
                gaps.append((day, Span(low, high)))
    return gaps


# --- /rooster: what was typed --------------------------------------------------------


class RotaAction(StrEnum):
    """What ``/rooster`` was asked to do."""

    show = "show"
    add = "add"  # a weekly shift
    remove = "remove"  # a weekly shift
    off = "off"  # an exception: not on duty that date
    extra = "extra"  # an exception: on duty that date


ACTION_WORDS = {
    "plus": RotaAction.add,
    "add": RotaAction.add,
    "min": RotaAction.remove,
    "weg": RotaAction.remove,
    "remove": RotaAction.remove,
    "vrij": RotaAction.off,
    "off": RotaAction.off,
    "extra": RotaAction.extra,
}


@dataclass(frozen=True)
class RotaCommand:
    """``/rooster`` read: the action, the staff member's name, a weekday or a date, a range."""

    action: RotaAction
    name: str = ""
    weekday: int | None = None
    day: date | None = None
    span: Span = WHOLE_DAY


_TIME = r"(\d{1,2})(?:[:.](\d{2}))?"
_SPAN = re.compile(rf"^{_TIME}\s*[-–]\s*{_TIME}$")
_DATE_DMY = re.compile(r"^(\d{1,2})-(\d{1,2})(?:-(\d{4}))?$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_span(text: str) -> Span:
    """``9:00-12:30``, ``09.00–12.30`` or ``9-12``; raises ``RotaInputError``."""
    found = _SPAN.match(text.strip())
    if not found:
        raise RotaInputError("rota_bad_time")
    h1, m1, h2, m2 = (int(g) if g else 0 for g in found.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        raise RotaInputError("rota_bad_time")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end > DAY_MINUTES or start > DAY_MINUTES or end <= start:
        raise RotaInputError("rota_bad_time")
    return Span(start, end)


def parse_date(text: str, today: date) -> date:
    """``24-12-2026``, ``24-12`` (the next one from today) or ``2026-12-24``; not in the past."""
    text = text.strip()
    try:
        if iso := _DATE_ISO.match(text):
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif dmy := _DATE_DMY.match(text):
            year = int(dmy[3]) if dmy[3] else today.year
            day = date(year, int(dmy[2]), int(dmy[1]))
            if not dmy[3] and day < today:
                day = date(year + 1, day.month, day.day)
        else:
            raise RotaInputError("rota_bad_date")
    except ValueError as exc:
        if isinstance(exc, RotaInputError):
            raise
        raise RotaInputError("rota_bad_date") from None
    if day < today:
        raise RotaInputError("rota_past_date")
    return day


def _looks_like_date(text: str) -> bool:
    return bool(_DATE_DMY.match(text) or _DATE_ISO.match(text))


def parse_command(args: list[str], today: date) -> RotaCommand:
    """The ``/rooster`` arguments as a command; raises ``RotaInputError`` with the answer's key.

    ``plus|min <naam> <dag> <van-tot>``, ``vrij <naam> <datum> [van-tot]``,
    ``extra <naam> <datum> <van-tot>``, ``min <naam> <datum>`` (that date's exceptions
    go); no arguments: show the rota.
    """
    if not args:
        return RotaCommand(RotaAction.show)
    action = ACTION_WORDS.get(args[0].lower())
    if action is None:
        raise RotaInputError("rota_usage")
    rest = args[1:]
    weekly = len(rest) >= 3 and rest[-2].lower() in WEEKDAYS
    if action is RotaAction.add or (action is RotaAction.remove and weekly):
        if len(rest) < 3:
            raise RotaInputError("rota_usage")
        weekday = WEEKDAYS.get(rest[-2].lower())
        if weekday is None:
            raise RotaInputError("rota_bad_day")
        return RotaCommand(action, " ".join(rest[:-2]), weekday=weekday, span=parse_span(rest[-1]))
    span = WHOLE_DAY
    # "24-12" reads as a date and as a time range: the range is the one after a date.
    dated_range = len(rest) >= 3 and _looks_like_date(rest[-2])
    if action is RotaAction.extra or (action is RotaAction.off and dated_range):
        if len(rest) < 3:
            raise RotaInputError("rota_usage")
        span, rest = parse_span(rest[-1]), rest[:-1]
    if len(rest) < 2:
        raise RotaInputError("rota_usage")
    return RotaCommand(action, " ".join(rest[:-1]), day=parse_date(rest[-1], today), span=span)


def week_report_due(last_run: datetime | None, now: datetime, hours: OpeningHours) -> bool:
    """True when the weekly list of uncovered hours has not gone out since Friday 12:00."""
    local = now.astimezone(hours.zone)
    friday = local.date() - timedelta(days=(local.weekday() - 4) % 7)
    moment = datetime(friday.year, friday.month, friday.day, 12, tzinfo=hours.zone)
    if moment > local:
        moment -= timedelta(days=7)
    return last_run is None or last_run < moment


def next_monday(now: datetime, hours: OpeningHours) -> date:
    """The first day of the week the weekly list is about (the coming Monday)."""
    today = now.astimezone(hours.zone).date()
    return today + timedelta(days=7 - today.weekday())
