"""The rota, pure: who is on duty when, which opening hours nobody covers, what /rooster reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from flows.business_hours import OpeningHours
from flows.rota import (
    WHOLE_DAY,
    Rota,
    RotaAction,
    RotaException,
    RotaInputError,
    Span,
    WeeklyShift,
    next_monday,
    on_duty,
    on_duty_at,
    parse_command,
    parse_span,
    uncovered,
    week_report_due,
)

ZONE = ZoneInfo("Europe/Amsterdam")
HOURS = OpeningHours(
    ZONE,
    {d: (time(9), time(17)) for d in range(5)},
    frozenset({date(2026, 12, 24)}),
)
MONDAY = date(2026, 5, 11)  # an ordinary week (Ascension Day is the 14th: a holiday)
SANNE, KEES = 1, 2
ROTA = Rota(
    shifts=(
        WeeklyShift(SANNE, 0, Span(9 * 60, 13 * 60)),
        WeeklyShift(KEES, 0, Span(12 * 60, 17 * 60)),
        WeeklyShift(SANNE, 1, Span(9 * 60, 12 * 60)),
    )
)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def test_on_duty_by_weekly_shift() -> None:
    assert on_duty(ROTA, HOURS, at(MONDAY, 9)) == {SANNE}
    assert on_duty(ROTA, HOURS, at(MONDAY, 12, 30)) == {SANNE, KEES}
    assert on_duty(ROTA, HOURS, at(MONDAY, 13)) == {KEES}  # the end is not included
    assert on_duty(ROTA, HOURS, at(MONDAY, 17)) == frozenset()
    assert on_duty(ROTA, HOURS, at(MONDAY, 9).astimezone(UTC)) == {SANNE}  # any zone


def test_exceptions_and_holidays() -> None:
    off = RotaException(SANNE, MONDAY, WHOLE_DAY, on_duty=False)
    extra = RotaException(KEES, MONDAY, Span(9 * 60, 10 * 60), on_duty=True)
    rota = Rota(ROTA.shifts, (off, extra))
    assert on_duty(rota, HOURS, at(MONDAY, 9, 30)) == {KEES}
    assert on_duty(rota, HOURS, at(MONDAY, 10, 30)) == frozenset()
    assert on_duty(rota, HOURS, at(date(2026, 5, 18), 9)) == {SANNE}  # only that date
    # Christmas Eve is a closing day: no weekly shifts, but an extra one counts.
    christmas_eve = date(2026, 12, 24)  # a Thursday; Sanne works Thursdays below
    rota = Rota((WeeklyShift(SANNE, 3, WHOLE_DAY),))
    assert on_duty_at(rota, HOURS, christmas_eve, 600) == frozenset()
    rota = Rota(rota.shifts, (RotaException(KEES, christmas_eve, WHOLE_DAY, True),))
    assert on_duty_at(rota, HOURS, christmas_eve, 600) == {KEES}
    # Public holidays come from the calendar too (Ascension Day 2026).
    assert on_duty_at(Rota((WeeklyShift(SANNE, 3, WHOLE_DAY),)), HOURS, date(2026, 5, 14), 600) == (
        frozenset()
    )


def test_uncovered_hours_of_a_week() -> None:
    gaps = uncovered(ROTA, HOURS, MONDAY)
    labels = [(day.isoformat(), span.label()) for day, span in gaps]
    assert labels == [
        ("2026-05-12", "12:00–17:00"),  # Tuesday afternoon
        ("2026-05-13", "09:00–17:00"),  # Wednesday
        # Thursday the 14th: Ascension Day, closed
        ("2026-05-15", "09:00–17:00"),
    ]
    off = RotaException(KEES, MONDAY, Span(14 * 60, 15 * 60), on_duty=False)
    gaps = uncovered(Rota(ROTA.shifts, (off,)), HOURS, MONDAY, days=1)
    assert [s.label() for _, s in gaps] == ["14:00–15:00"]
    assert uncovered(Rota(), HOURS, date(2026, 5, 16), days=2) == []  # the weekend


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("9:00-12:30", Span(540, 750)), ("09.00–12.00", Span(540, 720)), ("9-24", Span(540, 1440))],
)
def test_time_ranges(typed: str, expected: Span) -> None:
    assert parse_span(typed) == expected


@pytest.mark.parametrize("typed", ["12-9", "9:00", "25-26", "9:70-10", "9-9", "ochtend"])
def test_bad_time_ranges(typed: str) -> None:
    with pytest.raises(RotaInputError) as error:
        parse_span(typed)
    assert error.value.key == "rota_bad_time"


def test_commands() -> None:
    today = date(2026, 12, 3)
    assert parse_command([], today).action is RotaAction.show
    add = parse_command(["plus", "Sanne", "de", "Vries", "ma", "9-12"], today)
    assert (add.action, add.name, add.weekday, add.span) == (
        RotaAction.add,
        "Sanne de Vries",
        0,
        Span(540, 720),
    )
    off = parse_command(["vrij", "Kees", "24-12"], today)
    assert (off.action, off.day, off.span) == (RotaAction.off, date(2026, 12, 24), WHOLE_DAY)
    part = parse_command(["off", "Kees", "2027-01-05", "13:00-17:00"], today)
    assert (part.day, part.span) == (date(2027, 1, 5), Span(780, 1020))
    extra = parse_command(["extra", "Kees", "1-12", "9-12"], today)
    assert extra.day == date(2027, 12, 1)  # 1 December has passed: next year's
    gone = parse_command(["min", "Kees", "24-12-2026"], today)
    assert (gone.action, gone.day, gone.weekday) == (RotaAction.remove, date(2026, 12, 24), None)


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["ruil", "Sanne"], "rota_usage"),
        (["plus", "Sanne", "ma"], "rota_usage"),
        (["plus", "Sanne", "maandagochtend", "9-12"], "rota_bad_day"),
        (["plus", "Sanne", "ma", "12-9"], "rota_bad_time"),
        (["vrij", "Sanne", "31-02-2027"], "rota_bad_date"),
        (["vrij", "Sanne", "morgen"], "rota_bad_date"),
        (["vrij", "Sanne", "01-12-2026"], "rota_past_date"),
        (["extra", "Sanne", "24-12"], "rota_usage"),
    ],
)
def test_bad_commands(args: list[str], key: str) -> None:
    with pytest.raises(RotaInputError) as error:
        parse_command(args, date(2026, 12, 3))
    assert error.value.key == key


def test_weekly_list_due_from_friday_noon() -> None:
    friday_morning = at(date(2026, 12, 4), 11)
    friday_noon = at(date(2026, 12, 4), 12)
    assert not week_report_due(at(date(2026, 11, 27), 12, 5), friday_morning, HOURS)
    assert week_report_due(at(date(2026, 11, 27), 12, 5), friday_noon, HOURS)
    assert not week_report_due(friday_noon, at(date(2026, 12, 7), 9), HOURS)
    assert week_report_due(None, friday_morning, HOURS)
    assert next_monday(friday_noon, HOURS) == date(2026, 12, 7)
