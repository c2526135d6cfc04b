"""Building a report: ask the database for the tallies, label them, add percentages."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from flows.config import FlowConfig
from flows.labels import Labels
from helpline.reporting.labelling import Labeller
from helpline.reporting.model import Breakdown, Metric, Report, Row
from helpline.reporting.periods import Period, period_keys
from helpline.reporting.rounding import largest_remainder
from storage.db import Database
from storage.repository import tallies
from storage.repository.localtime import TIME_DIMENSIONS

DIMENSIONS = tallies.DIMENSIONS
# The breakdowns of the coordinators' /rapport workbook.
STANDARD_BREAKDOWNS: tuple[tuple[str, ...], ...] = (
    ("category",),
    ("kind",),
    ("channel",),
    ("village",),
    ("new_or_known",),
    ("outcome",),
    ("month",),
)


class DimensionError(ValueError):
    """An unknown dimension, or one that does not apply to the metric."""


def parse_breakdowns(
    values: Sequence[str], metric: Metric = Metric.contacts
) -> list[tuple[str, ...]]:
    """Reads ``--by`` values: each value one breakdown, commas combine dimensions.

    Raises:
        DimensionError: naming the unknown dimension and the known ones.
    """
    allowed = tallies.GRADE_DIMENSIONS if metric is Metric.grade else DIMENSIONS
    breakdowns = []
    for value in values:
        dims = tuple(d.strip().lower() for d in value.split(",") if d.strip())
        if not dims:
            raise DimensionError("empty --by value")
        for dim in dims:
            if dim not in allowed:
                raise DimensionError(
                    f"unknown dimension {dim!r} for metric {metric.value}; "
                    f"use one of: {', '.join(allowed)}"
                )
        if len(set(dims)) != len(dims):
            raise DimensionError(f"dimension repeated in {value!r}")
        breakdowns.append(dims)
    return breakdowns


def _rows(
    cells: list[tallies.Cell], dims: tuple[str, ...], label: Labeller, period: Period
) -> list[Row]:
    if len(dims) == 1 and dims[0] in TIME_DIMENSIONS:
        # A month without contacts is a finding too: show it as a zero.
        present = {cell.keys for cell in cells}
        cells = cells + [
            tallies.Cell((key,), 0, 0)
            for key in period_keys(period, dims[0])
            if (key,) not in present
        ]
    if len(dims) == 1 and dims[0] not in TIME_DIMENSIONS:
        # One plain dimension: largest first reads best in a table and a bar chart.
        cells.sort(key=lambda c: (-c.count, label.sort_key(dims[0], c.keys[0])))
    else:
        cells.sort(key=lambda c: [label.sort_key(d, k) for d, k in zip(dims, c.keys, strict=True)])
    percents = largest_remainder([cell.count for cell in cells])
    return [
        Row(
            keys=cell.keys,
            labels=tuple(label(d, k) for d, k in zip(dims, cell.keys, strict=True)),
            count=cell.count,
            residents=cell.residents,
            percent=percent,
            average=cell.average,
        )
        for cell, percent in zip(cells, percents, strict=True)
    ]


async def build_report(
    *,
    db: Database,
    config: FlowConfig,
    labels: Labels,
    period: Period,
    breakdowns: Sequence[tuple[str, ...]],
    zone: ZoneInfo,
    metric: Metric = Metric.contacts,
) -> Report:
    """Counts the period by each breakdown, in one read-only session.

    Raises:
        DimensionError: for a dimension that does not apply to ``metric``.
    """
    start, end = period.bounds(zone)
    tallied: list[tuple[tuple[str, ...], list[tallies.Cell]]] = []
    average, opted_out = None, 0
    async with db.session() as session:
        for dims in breakdowns:
            try:
                if metric is Metric.grade:
                    cells = await tallies.grade_tallies(
                        session=session, dims=dims, start=start, end=end, zone=zone
                    )
                else:
                    cells = await tallies.contact_tallies(
                        session=session, dims=dims, start=start, end=end, zone=zone
                    )
            except ValueError as exc:
                raise DimensionError(str(exc)) from None
            tallied.append((dims, cells))
        if metric is Metric.grade:
            grades = await tallies.grade_totals(session=session, start=start, end=end)
            total, residents = grades.answers, grades.residents
            average, opted_out = grades.average, grades.opted_out
        else:
            total, residents = await tallies.contact_totals(session=session, start=start, end=end)
        staff_ids = {
            int(key)
            for dims, cells in tallied
            if "staff" in dims
            for cell in cells
            for key in (cell.keys[dims.index("staff")],)
            if key is not None and key.isdigit()
        }
        staff = await tallies.staff_names(session=session, ids=sorted(staff_ids))
    label = Labeller(config, labels, staff)
    return Report(
        period=period,
        period_label=period.label(labels),
        metric=metric,
        total=total,
        residents=residents,
        breakdowns=[
            Breakdown(dims, tuple(label.header(d) for d in dims), _rows(cells, dims, label, period))
            for dims, cells in tallied
        ],
        average=average,
        opted_out=opted_out,
    )
