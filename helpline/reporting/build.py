"""Building a report: ask the database for the tallies, label them, add percentages."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from flows.business_hours import OpeningHours
from flows.config import FlowConfig
from flows.errors import DimensionError
from flows.labels import Labels
from flows.texts import Texts
from helpline.reporting.calls import (
    CALL_DIMENSIONS,
    build_call_report,
    load_facts,
    phone_figures,
    phone_lines,
)
from helpline.reporting.labelling import Labeller
from helpline.reporting.model import Breakdown, Metric, Report, Row
from helpline.reporting.periods import Period, period_keys
from helpline.reporting.rounding import largest_remainder
from storage.db import Database
from storage.readonly import read_sessions
from storage.repository import tallies
from storage.repository.localtime import TIME_DIMENSIONS, Piece

DIMENSIONS = tallies.DIMENSIONS
# Read connections per report on SQLite: the pieces of a period are counted in parallel.
READERS = 2
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


def _dimensions(metric: Metric) -> Sequence[str]:
    if metric is Metric.calls:
        return CALL_DIMENSIONS
    return tallies.GRADE_DIMENSIONS if metric is Metric.grade else DIMENSIONS


def parse_breakdowns(
    values: Sequence[str], metric: Metric = Metric.contacts
) -> list[tuple[str, ...]]:
    """Reads ``--by`` values: each value one breakdown, commas combine dimensions.

    Raises:
        DimensionError: naming the unknown dimension and the known ones.
    """
    allowed = _dimensions(metric)
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


@dataclass
class _Counts:
    """What the parallel lanes of one report found."""

    cells: dict[int, list[tallies.Cell]] = field(default_factory=dict)
    contacts: tuple[int, int] = (0, 0)
    grades: tallies.GradeTotals | None = None


Job = Callable[[AsyncSession], Awaitable[None]]


async def _count(
    db: Database,
    breakdowns: Sequence[tuple[str, ...]],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    metric: Metric,
) -> tuple[_Counts, dict[int, str]]:
    counts = _Counts({n: [] for n in range(len(breakdowns))})
    grades = metric is Metric.grade

    async def totals(session: AsyncSession) -> None:
        if grades:
            counts.grades = await tallies.grade_totals(session=session, start=start, end=end)
        else:
            counts.contacts = await tallies.contact_totals(session=session, start=start, end=end)

    def piece_job(n: int, piece: Piece) -> Job:
        async def job(session: AsyncSession) -> None:
            counts.cells[n] += await tallies.count_piece(
                session=session, dims=breakdowns[n], piece=piece, zone=zone, grades=grades
            )

        return job

    jobs: list[Job] = [totals]
    for n, dims in enumerate(breakdowns):
        for piece in tallies.plan(dialect=db.dialect, dims=dims, start=start, end=end, zone=zone):
            jobs.append(piece_job(n, piece))

    async def lane(session: AsyncSession, mine: list[Job]) -> None:
        for job in mine:
            await job(session)

    async with read_sessions(db, READERS) as sessions:
        lanes = [jobs[i :: len(sessions)] for i in range(len(sessions))]
        await asyncio.gather(*(lane(s, mine) for s, mine in zip(sessions, lanes, strict=True)))
        staff_ids = {
            int(key)
            for n, dims in enumerate(breakdowns)
            if "staff" in dims
            for cell in counts.cells[n]
            for key in (cell.keys[dims.index("staff")],)
            if key is not None and key.isdigit()
        }
        staff = await tallies.staff_names(session=sessions[0], ids=sorted(staff_ids))
    return counts, staff


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
    """Counts the period by each breakdown.

    Reads through ``storage.readonly.read_sessions``: on SQLite two read-only
    connections count the pieces in parallel without taking the write lock.

    Raises:
        DimensionError: for a dimension that does not apply to ``metric``.
    """
    allowed = _dimensions(metric)
    for dims in breakdowns:
        unknown = [d for d in dims if d not in allowed]
        if unknown:
            raise DimensionError(f"dimension {unknown[0]!r} does not apply to {metric.value}")
    if metric is Metric.calls:
        return await build_call_report(
            db=db, config=config, labels=labels, period=period, breakdowns=breakdowns, zone=zone
        )
    start, end = period.bounds(zone)
    counts, staff = await _count(db, breakdowns, start, end, zone, metric)
    total, residents = counts.contacts
    average, opted_out = None, 0
    if counts.grades is not None:
        total, residents = counts.grades.answers, counts.grades.residents
        average, opted_out = counts.grades.average, counts.grades.opted_out
    label = Labeller(config, labels, staff)
    phone = None
    if metric is Metric.contacts:  # the phone line's figures beside the contacts (/rapport)
        facts = await load_facts(db, period, zone)
        if facts:
            phone = phone_figures(facts, OpeningHours.from_config(config.opening_hours, zone))
    return Report(
        period=period,
        period_label=period.label(labels),
        metric=metric,
        total=total,
        residents=residents,
        breakdowns=[
            Breakdown(
                dims,
                tuple(label.header(d) for d in dims),
                _rows(counts.cells[n], dims, label, period),
            )
            for n, dims in enumerate(breakdowns)
        ],
        average=average,
        opted_out=opted_out,
        phone=phone,
        phone_lines=phone_lines(Texts(config), phone) if phone else (),
    )
