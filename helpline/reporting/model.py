"""A finished report: labelled rows with percentages, and small-count suppression.

The report holds the true numbers; suppression (``--min-cell``) is applied when a
report is written, by the ``shown_*`` helpers every writer uses, so CSV, JSON,
XLSX and PNG hide exactly the same cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from helpline.reporting.periods import Period


class Metric(StrEnum):
    """What a report counts."""

    contacts = "contacts"
    grade = "grade"
    calls = "calls"  # inbound phone calls (helpline/reporting/calls.py)


@dataclass(frozen=True)
class Row:
    """One line of a breakdown.

    ``count`` is contacts (metric contacts) or grades given (metric grade);
    ``average`` the mean grade (metric grade only).
    """

    keys: tuple[str | None, ...]
    labels: tuple[str, ...]
    count: int
    residents: int
    percent: int
    average: float | None = None

    @property
    def label(self) -> str:
        """The labels of all dimensions, joined."""
        return LABEL_JOINER.join(self.labels)


LABEL_JOINER = " – "


@dataclass(frozen=True)
class Breakdown:
    """Rows by one dimension or one combination of dimensions; percents add up to 100."""

    dims: tuple[str, ...]
    headers: tuple[str, ...]
    rows: list[Row]

    @property
    def name(self) -> str:
        """``month,category``: the breakdown as given on the command line."""
        return ",".join(self.dims)


@dataclass(frozen=True)
class PhoneFigures:
    """The phone line's figures of a period (helpline/reporting/calls.py).

    Rates are whole percents, None when there is nothing to divide by;
    ``median_callback_minutes`` is wall-clock time from the missed call to the callback.
    """

    calls: int
    answered: int
    missed: int
    called_back: int
    unknown: int
    answer_rate: int | None
    called_back_within_day: int | None
    median_callback_minutes: int | None


@dataclass(frozen=True)
class Report:
    """The tallies of one period.

    ``total`` is the number of contacts (or grades) in the period, ``residents`` the
    number of distinct residents among them; ``average`` and ``opted_out`` only for
    metric grade.
    """

    period: Period
    period_label: str
    metric: Metric
    total: int
    residents: int
    breakdowns: list[Breakdown] = field(default_factory=list)
    average: float | None = None
    opted_out: int = 0
    # The phone line's figures, when the period had calls; with their labelled lines.
    phone: PhoneFigures | None = None
    phone_lines: tuple[tuple[str, int | str | None], ...] = ()
    # Column labels that differ from labels.toml's for this metric (calls: "Gesprekken").
    headings: dict[str, str] = field(default_factory=dict)


def is_suppressed(value: int, min_cell: int | None) -> bool:
    """True for a small count that must not be published (zero reveals nobody)."""
    return min_cell is not None and 0 < value < min_cell


def shown_count(value: int, min_cell: int | None) -> int | str:
    """The count, or ``<N`` when it is too small to publish."""
    return f"<{min_cell}" if is_suppressed(value, min_cell) else value


def shown_percent(row: Row, min_cell: int | None) -> int | None:
    """The percent, hidden (None) when the row's count is suppressed."""
    return None if is_suppressed(row.count, min_cell) else row.percent


def shown_average(row: Row, min_cell: int | None) -> float | None:
    """The mean grade to one decimal, hidden when it rests on too few grades."""
    if row.average is None or is_suppressed(row.count, min_cell):
        return None
    return round(row.average, 1)
