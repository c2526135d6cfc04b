"""The pure core of follow-up calls: times, recurrence across DST, availability, decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.calls.availability import (
    AvailabilityError,
    Window,
    first_free_slot,
    is_available,
    parse_availability,
)
from flows.calls.callbacks import data, parse
from flows.calls.config import CallConfig, parse_call_config
from flows.calls.recurrence import (
    Repeat,
    RepeatError,
    count_between,
    local_start,
    next_occurrence,
    occurrences,
    parse_repeat,
)
from flows.calls.schedule import (
    CatchUp,
    after_miss,
    assignee_reminders,
    catch_up,
    resident_reminder,
)
from flows.calls.when import WhenError, parse_reference, parse_when, quick_pick
from flows.config import ConfigError

AMS = ZoneInfo("Europe/Amsterdam")
CONFIG = CallConfig()
# Monday 4 May 2026, 09:00 local.
NOW = datetime(2026, 5, 4, 9, 0, tzinfo=AMS).astimezone(UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)  # type: ignore[misc]


# --- quick picks and typed times ---------------------------------------------------------
def test_quick_picks_are_local_times() -> None:
    assert quick_pick("today", now=NOW, zone=AMS, config=CONFIG) == local(2026, 5, 4, 11, 0)
    assert quick_pick("tom_am", now=NOW, zone=AMS, config=CONFIG) == local(2026, 5, 5, 10, 0)
    assert quick_pick("tom_pm", now=NOW, zone=AMS, config=CONFIG) == local(2026, 5, 5, 14, 0)
    assert quick_pick("week", now=NOW, zone=AMS, config=CONFIG) == local(2026, 5, 11, 10, 0)
    assert quick_pick("bogus", now=NOW, zone=AMS, config=CONFIG) is None


def test_later_today_is_not_offered_in_the_evening() -> None:
    evening = local(2026, 5, 4, 19, 0)
    assert quick_pick("today", now=evening, zone=AMS, config=CONFIG) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("morgen 10:00", local(2026, 5, 5, 10, 0)),
        ("Morgen om 10 uur", local(2026, 5, 5, 10, 0)),
        ("morgenochtend", local(2026, 5, 5, 10, 0)),
        ("overmorgen 9.30", local(2026, 5, 6, 9, 30)),
        ("vrijdag 14u", local(2026, 5, 8, 14, 0)),
        ("di 10u30", local(2026, 5, 5, 10, 30)),
        ("maandag 10:00", local(2026, 5, 4, 10, 0)),
        ("maandag 8:00", local(2026, 5, 11, 8, 0)),
        ("12-05 9:30", local(2026, 5, 12, 9, 30)),
        ("12/5/2026 16:00", local(2026, 5, 12, 16, 0)),
        ("2026-06-01 10:00", local(2026, 6, 1, 10, 0)),
        ("12 mei 10", local(2026, 5, 12, 10, 0)),
        ("1 april 10:00", local(2027, 4, 1, 10, 0)),
        ("15:00", local(2026, 5, 4, 15, 0)),
        ("8:00", local(2026, 5, 5, 8, 0)),
        ("over 3 dagen 11:00", local(2026, 5, 7, 11, 0)),
        ("tomorrow 3pm", local(2026, 5, 5, 15, 0)),
        ("volgende week middag", local(2026, 5, 11, 14, 0)),
    ],
)
def test_typed_times_are_read_forgivingly(typed: str, expected: datetime) -> None:
    assert parse_when(typed, now=NOW, zone=AMS, config=CONFIG) == expected


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", "when_empty"),
        ("morgen", "when_no_time"),
        ("gisteren 10:00", "when_unreadable"),
        ("morgen 25:00", "when_bad_time"),
        ("31-02 10:00", "when_bad_date"),
        ("vandaag 08:00", "when_past"),
        ("2030-01-01 10:00", "when_far"),
        ("🙂" * 200, "when_unreadable"),
    ],
)
def test_bad_typed_times_name_the_problem(typed: str, key: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(typed, now=NOW, zone=AMS, config=CONFIG)
    assert caught.value.key == key
    assert len(caught.value.detail) <= 30


def test_references_are_normalised() -> None:
    assert parse_reference("hh-2026-42") == "HH-2026-00042"
    assert parse_reference("HH-2026-00042") == "HH-2026-00042"
    assert parse_reference("morgen") is None


# --- recurrence ---------------------------------------------------------------------------
def test_weekly_call_stays_at_ten_across_both_dst_changes() -> None:
    first = local(2026, 3, 22, 10, 0)  # Sunday before the last Sunday of March
    rule = Repeat("weekly").rule(first.weekday())
    assert rule == "FREQ=WEEKLY;INTERVAL=1;BYDAY=SU"
    start = local_start(first, AMS)
    march = occurrences(rule, start, AMS, limit=3)
    assert [m.astimezone(AMS).time() for m in march] == [time(10, 0)] * 3
    assert [m.astimezone(UTC).hour for m in march] == [9, 8, 8]  # CET, then CEST
    october = next_occurrence(rule, start, AMS, after=local(2026, 10, 24, 12, 0))
    assert october == local(2026, 10, 25, 10, 0)  # last Sunday of October, CET again
    assert october is not None and october.astimezone(UTC).hour == 9


def test_daily_rule_on_the_autumn_change_gives_each_day_once() -> None:
    start = local_start(local(2026, 10, 24, 2, 30), AMS)
    rule = Repeat("daily", count=3).rule(5)
    days = occurrences(rule, start, AMS)
    assert [d.astimezone(AMS).date() for d in days] == [
        date(2026, 10, 24),
        date(2026, 10, 25),
        date(2026, 10, 26),
    ]
    assert len(set(days)) == 3


def test_count_and_until_end_the_series() -> None:
    first = local(2026, 5, 5, 10, 0)
    rule = Repeat("weekly", interval=2, count=3).rule(first.weekday())
    start = local_start(first, AMS)
    assert occurrences(rule, start, AMS)[-1] == local(2026, 6, 2, 10, 0)
    assert next_occurrence(rule, start, AMS, after=local(2026, 6, 2, 10, 0)) is None
    until = Repeat("daily", until=date(2026, 5, 7)).rule(0)
    assert len(occurrences(until, start, AMS)) == 3
    assert Repeat.from_rule(rule) == Repeat("weekly", 2, 3, None)


def test_skipped_occurrences_are_counted() -> None:
    first = local(2026, 5, 5, 10, 0)
    rule = Repeat("daily").rule(first.weekday())
    start = local_start(first, AMS)
    gap = count_between(rule, start, AMS, start=first, end=local(2026, 5, 9, 9, 0))
    assert gap == 3  # 6, 7 and 8 May


def test_typed_repetition_is_found_and_removed() -> None:
    today = date(2026, 5, 4)
    repeat, rest = parse_repeat("dinsdag 10:00 wekelijks 10x", today=today)
    assert repeat == Repeat("weekly", 1, 10, None) and rest == "dinsdag 10:00"
    repeat, _ = parse_repeat("morgen 10u om de 2 weken tot 30-06", today=today)
    assert repeat == Repeat("weekly", 2, None, date(2026, 6, 30))
    assert parse_repeat("morgen 10:00", today=today) == (None, "morgen 10:00")
    for bad in ("morgen 10:00 5x", "elke dag tot 31-02-2026", "dagelijks 999x"):
        with pytest.raises(RepeatError):
            parse_repeat(bad, today=today)


# --- availability -------------------------------------------------------------------------
def test_availability_is_read_forgivingly() -> None:
    assert parse_availability("ma 10-12, wo 14:00-16:30") == [
        Window(0, 600, 720),
        Window(2, 840, 990),
    ]
    assert parse_availability("werkdagen 9 tot 12") == [Window(d, 540, 720) for d in range(5)]
    assert parse_availability("di do 10u-11u30 ma-wo 14-15") == sorted(
        [Window(1, 600, 690), Window(3, 600, 690)] + [Window(d, 840, 900) for d in range(3)]
    )


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", "avail_empty"),
        ("10-12", "avail_no_days"),
        ("maandag", "avail_no_time"),
        ("ma 12-10", "avail_end_before_start"),
        ("ma 10-12 graag", "avail_unreadable"),
        ("ma 10:99-12", "avail_bad_time"),
    ],
)
def test_bad_availability_names_the_problem(typed: str, key: str) -> None:
    with pytest.raises(AvailabilityError) as caught:
        parse_availability(typed)
    assert caught.value.key == key


def test_first_free_slot_skips_busy_times_and_closed_days() -> None:
    windows = parse_availability("di 10-11, do 14-15")
    tuesday_ten = local(2026, 5, 5, 10, 0)
    assert not is_available(windows, local(2026, 5, 4, 10, 0), AMS)
    assert is_available(windows, tuesday_ten, AMS)
    slot = first_free_slot(windows, busy=[], start=NOW, zone=AMS)
    assert slot == tuesday_ten
    busy = [tuesday_ten, local(2026, 5, 5, 10, 15), local(2026, 5, 5, 10, 30)]
    assert first_free_slot(windows, busy=busy, start=NOW, zone=AMS) == local(2026, 5, 5, 10, 45)
    assert first_free_slot([], busy=[], start=NOW, zone=AMS) is None
    assert is_available([], NOW, AMS)


# --- reminders and catch-up ---------------------------------------------------------------
def test_assignee_is_reminded_at_lead_time_and_when_due() -> None:
    due = NOW + timedelta(hours=2)
    assert assignee_reminders(due_at=due, now=NOW, config=CONFIG) == [
        ("lead", due - timedelta(minutes=30)),
        ("due", due),
    ]
    soon = NOW + timedelta(minutes=10)
    assert assignee_reminders(due_at=soon, now=NOW, config=CONFIG) == [("due", soon)]


def test_resident_reminder_waits_for_the_end_of_quiet_hours() -> None:
    call = local(2026, 5, 5, 10, 0)
    assert resident_reminder(due_at=call, now=NOW, zone=AMS, config=CONFIG) == local(
        2026, 5, 4, 10, 0
    )
    early_call = local(2026, 5, 5, 8, 0)  # a day ahead is 08:00: quiet, so 09:00
    assert resident_reminder(due_at=early_call, now=NOW, zone=AMS, config=CONFIG) == local(
        2026, 5, 4, 9, 0
    )
    late_evening = local(2026, 5, 4, 22, 0)
    moved = resident_reminder(
        due_at=local(2026, 5, 5, 9, 10), now=late_evening, zone=AMS, config=CONFIG, moved=True
    )
    assert moved is None  # 09:00 is too close to 09:10
    moved = resident_reminder(
        due_at=local(2026, 5, 5, 11, 0), now=late_evening, zone=AMS, config=CONFIG, moved=True
    )
    assert moved == local(2026, 5, 5, 9, 0)


def test_catch_up_sends_late_with_a_note_or_marks_missed() -> None:
    call = local(2026, 5, 4, 10, 0)

    def decide(kind: str, reminder_at: datetime, now: datetime) -> CatchUp:
        return catch_up(
            kind=kind, reminder_at=reminder_at, call_at=call, now=now, zone=AMS, config=CONFIG
        ).action

    assert decide("due", call, call + timedelta(minutes=1)) == CatchUp.send
    assert decide("due", call, call + timedelta(hours=1)) == CatchUp.late
    assert decide("due", call, call + timedelta(hours=3)) == CatchUp.missed
    lead = call - timedelta(minutes=30)
    assert decide("lead", lead, call - timedelta(minutes=10)) == CatchUp.late
    assert decide("lead", lead, call + timedelta(minutes=1)) == CatchUp.expired
    notice = call - timedelta(days=1)
    assert decide("resident", notice, call - timedelta(minutes=50)) == CatchUp.late
    assert decide("resident", notice, call - timedelta(minutes=5)) == CatchUp.expired
    night = catch_up(
        kind="resident",
        reminder_at=notice,
        call_at=call,
        now=local(2026, 5, 4, 3, 0),
        zone=AMS,
        config=CONFIG,
    )
    assert night.action == CatchUp.defer and night.at == local(2026, 5, 4, 9, 0)


def test_telefooncirkel_retries_then_alerts_after_n_misses() -> None:
    first = after_miss(misses=0, now=NOW, config=CONFIG, next_regular=None)
    assert first.retry_at == NOW + timedelta(hours=1) and not first.alert and first.misses == 1
    second = after_miss(misses=1, now=NOW, config=CONFIG, next_regular=None)
    assert second.alert and second.retry_at is None and second.misses == 0
    crowded = after_miss(misses=0, now=NOW, config=CONFIG, next_regular=NOW + timedelta(minutes=30))
    assert crowded.retry_at is None  # the regular call comes first
    three = CallConfig(miss_limit=3)
    assert not after_miss(misses=1, now=NOW, config=three, next_regular=None).alert


# --- configuration and callback data ------------------------------------------------------
def test_call_config_is_validated() -> None:
    config = parse_call_config({"miss_limit": 3, "assignee_queues": ["b"]}, {"b"})
    assert config.miss_limit == 3
    for table, word in [
        ({"miss_limit": 0}, "miss_limit"),
        ({"lead_minutes": "half an hour"}, "lead_minutes"),
        ({"quiet_hours": "late"}, "quiet_hours"),
        ({"assignee_queues": ["nope"]}, "unknown queue"),
        ({"morning": "ten"}, "morning"),
        ({"alert_actions": []}, "alert_actions"),
    ]:
        with pytest.raises(ConfigError, match=word):
            parse_call_config(table, {"b"})


def test_callback_data_round_trips_and_rejects_forgeries() -> None:
    raw = data("call", "pick", 42, "tom_am")
    assert parse(raw) == parse(raw) and parse(raw).value == "tom_am"  # type: ignore[union-attr]
    assert parse("call:pick:42") is not None
    for forged in ("call:pick:-1", "call:PICK:1", "call:pick:1:x;drop", "x" * 80, "", "cr:x:1"):
        assert parse(forged) is None or forged.startswith("cr:x")
    with pytest.raises(ValueError):
        data("call", "pick", 1, "x" * 40)


# --- any typed text: a moment or a named problem, never a traceback ----------------------
WORDS = st.sampled_from(
    [
        "morgen",
        "vandaag",
        "overmorgen",
        "di",
        "vrijdag",
        "om",
        "10",
        "10:00",
        "9.30",
        "14u",
        "25:00",
        "12-05",
        "31-02",
        "2026-06-01",
        "12",
        "mei",
        "over",
        "3",
        "dagen",
        "wekelijks",
        "dagelijks",
        "om",
        "de",
        "2",
        "weken",
        "5x",
        "999x",
        "tot",
        "30-06",
        "pm",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60) | st.lists(WORDS, max_size=6).map(" ".join))
def test_any_typed_time_gives_a_moment_or_a_named_problem(typed: str) -> None:
    try:
        repeat, rest = parse_repeat(typed, today=NOW.astimezone(AMS).date())
        moment = parse_when(rest, now=NOW, zone=AMS, config=CONFIG)
    except (WhenError, RepeatError) as exc:
        assert exc.key.startswith(("when_", "repeat_"))
        return
    assert moment.tzinfo is not None and moment > NOW
    if repeat is not None:
        assert repeat.rule(moment.weekday()).startswith("FREQ=")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="madiwovrzotu 0123456789:-,.u", max_size=40))
def test_any_typed_availability_gives_windows_or_a_named_problem(typed: str) -> None:
    try:
        windows = parse_availability(typed)
    except AvailabilityError as exc:
        assert exc.key.startswith("avail_")
        return
    assert windows and all(0 <= w.start < w.end <= 24 * 60 for w in windows)
