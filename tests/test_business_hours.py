"""Opening hours: holidays, closing days, DST, business-time arithmetic."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest

from flows.business_hours import HoursError, OpeningHours
from flows.public_holidays import dutch_public_holidays

ROOT = Path(__file__).resolve().parent.parent
AMS = ZoneInfo("Europe/Amsterdam")
HOURS = OpeningHours.from_config(
    {d: "09:00-17:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")}
    | {"closing_days": ["2026-12-24"]},
    AMS,
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)  # type: ignore[misc]


def test_open_on_a_weekday_closed_at_night_weekend_and_holidays() -> None:
    assert HOURS.is_open(local(2026, 5, 4, 10, 0))  # Monday
    assert not HOURS.is_open(local(2026, 5, 4, 17, 0))
    assert not HOURS.is_open(local(2026, 5, 9, 10, 0))  # Saturday
    assert not HOURS.is_open(local(2026, 4, 27, 10, 0))  # Koningsdag
    assert not HOURS.is_open(local(2026, 12, 24, 10, 0))  # own closing day
    assert not HOURS.is_open(local(2026, 12, 25, 10, 0))  # Christmas


def test_next_open_skips_weekend_and_holiday() -> None:
    friday_evening = local(2026, 4, 24, 18, 0)
    assert HOURS.next_open(friday_evening) == local(2026, 4, 28, 9, 0)  # Mon 27 = Koningsdag


def test_four_business_hours_cross_the_night() -> None:
    assert HOURS.add(local(2026, 5, 4, 15, 0), timedelta(hours=4)) == local(2026, 5, 5, 11, 0)


def test_business_time_across_dst_change_keeps_local_opening_time() -> None:
    friday = local(2026, 3, 27, 16, 0)  # DST starts Sunday 29 March
    due = HOURS.add(friday, timedelta(hours=2))
    assert due == local(2026, 3, 30, 10, 0)
    assert due is not None and due.astimezone(UTC).hour == 8  # CEST: UTC+2


def test_input_in_utc_is_fine() -> None:
    at = datetime(2026, 5, 4, 7, 30, tzinfo=UTC)  # 09:30 in Amsterdam
    assert HOURS.is_open(at)


@pytest.mark.parametrize(
    "table", [{"monday": "9-5"}, {"monday": "17:00-09:00"}, {"closing_days": ["morgen"]}]
)
def test_malformed_hours_are_named(table: dict[str, object]) -> None:
    with pytest.raises(HoursError):
        OpeningHours.from_config(table, AMS)


def test_no_opening_hours_means_no_business_time() -> None:
    assert OpeningHours.from_config({}, AMS).add(local(2026, 5, 4, 9), timedelta(hours=1)) is None


def test_the_public_holidays_are_those_of_the_holidays_library() -> None:
    library = holidays.country_holidays("NL", years=range(1950, 2101))
    for year in range(1950, 2101):
        expected = {day for day in library if day.year == year}
        assert dutch_public_holidays(year) == expected, year
    hours = OpeningHours.from_config({"monday": "09:00-17:00"}, AMS)
    assert date(2026, 5, 14) in hours.public_holidays  # Hemelvaartsdag
    assert date(2026, 5, 15) not in hours.public_holidays
    assert "2026-05-14" not in hours.public_holidays


def test_the_bot_does_not_load_the_holidays_library() -> None:
    # It would import the calendar of every country it knows (300 modules, about 17 MB).
    probe = (
        "import sys\n"
        "from zoneinfo import ZoneInfo\n"
        "from flows.business_hours import OpeningHours\n"
        "amsterdam = ZoneInfo('Europe/Amsterdam')\n"
        "hours = OpeningHours.from_config({'monday': '09:00-17:00'}, amsterdam)\n"
        "import datetime\n"
        "print(datetime.date(2026, 12, 25) in hours.public_holidays, 'holidays' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.split() == ["True", "False"]
