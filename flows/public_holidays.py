"""The Netherlands' public holidays: the days the line is closed besides its own closing days.

The rules are those of the ``holidays`` library for the Netherlands (a test compares both
for every year from 1950 to 2100). They are written out here because that library, to
give one country's calendar, imports the calendars of every country it knows: 300
modules and about 17 MB in a bot that needs ten dates a year.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from dateutil.easter import easter

FIRST_YEAR = 1966  # the Algemene termijnenwet holds from April 1965
SUNDAY = 6


@lru_cache(maxsize=16)
def dutch_public_holidays(year: int) -> frozenset[date]:
    """The public holidays of one year (none before the Algemene termijnenwet)."""
    if year < FIRST_YEAR:
        return frozenset()
    easter_sunday = easter(year)
    days = {
        date(year, 1, 1),  # Nieuwjaarsdag
        *(easter_sunday + timedelta(days=n) for n in (-2, 0, 1)),  # Goede vrijdag, Pasen
        easter_sunday + timedelta(days=39),  # Hemelvaartsdag
        *(easter_sunday + timedelta(days=n) for n in (49, 50)),  # Pinksteren
        date(year, 12, 25),  # Eerste kerstdag
        date(year, 12, 26),  # Tweede kerstdag
        _kings_day(year),
    }
    if year % 5 == 0:  # Bevrijdingsdag is a day off once in five years
        days.add(date(year, 5, 5))
    return frozenset(days)


def _kings_day(year: int) -> date:
    """Koningsdag (Koninginnedag before 2014); never on a Sunday."""
    day = date(year, 4, 27) if year >= 2014 else date(year, 4, 30)
    if day.weekday() != SUNDAY:
        return day
    return day - timedelta(days=1) if year >= 1980 else day + timedelta(days=1)


class PublicHolidays:
    """The Dutch public holidays as a set of dates: ``day in PublicHolidays()``."""

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and day in dutch_public_holidays(day.year)
