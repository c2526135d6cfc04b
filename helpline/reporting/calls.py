"""The phone line's report: calls by result, hour of day and weekday, and its key figures.

``call_result`` of an inbound call: ``answered``; ``missed`` (ended without an answer
and not, or not yet, called back); ``called_back`` (missed, then called back: see
``storage.repository.call_report``); ``unknown`` (closed because no end was reported).
Figures: the answer rate (answered of all calls with a known result); the share of
missed calls with a number that were called back within one working day (the
average length of an opening day, counted in opening hours from the missed call:
missed Friday 16:00 with 09:00–17:00 hours, called back by Monday 16:00); the median
time to the callback (wall clock); calls per hour of day and per weekday, for the rota.
Labels come from ``texts.toml`` (``report_call_*``).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from flows.business_hours import OpeningHours
from flows.config import FlowConfig
from flows.labels import Labels
from flows.texts import Texts
from helpline.reporting.model import Breakdown, Metric, PhoneFigures, Report, Row
from helpline.reporting.periods import Period
from helpline.reporting.rounding import largest_remainder
from storage.db import Database
from storage.readonly import read_sessions
from storage.repository.call_report import CallFact, call_facts

CALL_DIMENSIONS = ("call_result", "hour", "weekday", "month")
RESULTS = ("answered", "missed", "called_back", "unknown")
STANDARD_CALL_BREAKDOWNS: tuple[tuple[str, ...], ...] = (("call_result",), ("hour",), ("weekday",))


def call_result(fact: CallFact) -> str:
    """``answered``, ``missed``, ``called_back`` or ``unknown`` (still open counts as unknown)."""
    if fact.state in ("answered", "ended"):
        return "answered"
    if fact.state == "missed":
        return "called_back" if fact.called_back_at is not None else "missed"
    return "unknown"


def working_day(hours: OpeningHours) -> timedelta:
    """The average length of an opening day (one day when no hours are configured)."""
    spans = [
        (close.hour * 60 + close.minute) - (opens.hour * 60 + opens.minute)
        for opens, close in hours.weekly.values()
    ]
    return timedelta(minutes=sum(spans) / len(spans)) if spans else timedelta(days=1)


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def phone_figures(facts: Sequence[CallFact], hours: OpeningHours) -> PhoneFigures:
    """The key figures of these calls."""
    results = Counter(call_result(f) for f in facts)
    answered, missed, called_back = results["answered"], results["missed"], results["called_back"]
    day = working_day(hours)
    waits: list[float] = []  # seconds
    within = 0
    reachable = 0  # missed calls with a number: the ones that can be called back
    for fact in facts:
        if fact.state != "missed" or not fact.has_number or fact.ended_at is None:
            continue
        reachable += 1
        if fact.called_back_at is None:
            continue
        waits.append((fact.called_back_at - fact.ended_at).total_seconds())
        deadline = hours.add(fact.ended_at, day)
        if deadline is None or fact.called_back_at <= deadline:
            within += 1
    median = statistics.median(waits) if waits else None
    return PhoneFigures(
        calls=len(facts),
        answered=answered,
        missed=missed,
        called_back=called_back,
        unknown=results["unknown"],
        answer_rate=_percent(answered, answered + missed + called_back),
        called_back_within_day=_percent(within, reachable),
        median_callback_minutes=round(median / 60) if median is not None else None,
    )


def phone_lines(texts: Texts, figures: PhoneFigures) -> tuple[tuple[str, int | str | None], ...]:
    """The figures as labelled lines for the workbook's summary sheet."""

    def pct(value: int | None) -> str | None:
        return None if value is None else f"{value}%"

    return (
        (texts("report_calls_total", "nl"), figures.calls),
        (texts("report_call_answered", "nl"), figures.answered),
        (texts("report_call_missed", "nl"), figures.missed),
        (texts("report_call_called_back", "nl"), figures.called_back),
        (texts("report_call_unknown", "nl"), figures.unknown),
        (texts("report_answer_rate", "nl"), pct(figures.answer_rate)),
        (texts("report_called_back_within_day", "nl"), pct(figures.called_back_within_day)),
        (texts("report_median_callback", "nl"), figures.median_callback_minutes),
    )


def _key(dim: str, fact: CallFact, zone: ZoneInfo) -> str:
    local = fact.ringing_at.astimezone(zone)
    if dim == "call_result":
        return call_result(fact)
    if dim == "hour":
        return f"{local.hour:02d}"
    if dim == "weekday":
        return str(local.weekday())
    return f"{local.year}-{local.month:02d}"


def _label(texts: Texts, dim: str, key: str) -> str:
    if dim == "call_result":
        return texts(f"report_call_{key}", "nl")
    if dim == "hour":
        return f"{key}:00–{int(key) + 1:02d}:00"
    if dim == "weekday":
        return texts("report_weekdays", "nl").split()[int(key)]
    return key


def _sort_key(dims: tuple[str, ...], keys: tuple[str, ...]) -> list[tuple[int, str]]:
    # Results in their own order; hours, weekdays and months sort as their keys do.
    return [
        (RESULTS.index(key), "") if dim == "call_result" else (0, key)
        for dim, key in zip(dims, keys, strict=True)
    ]


def _breakdown(
    texts: Texts, dims: tuple[str, ...], facts: Sequence[CallFact], zone: ZoneInfo
) -> Breakdown:
    counts: Counter[tuple[str, ...]] = Counter()
    callers: dict[tuple[str, ...], set[str]] = {}
    for fact in facts:
        keys = tuple(_key(d, fact, zone) for d in dims)
        counts[keys] += 1
        if fact.caller:
            callers.setdefault(keys, set()).add(fact.caller)
    if dims == ("call_result",):  # every result, also at zero
        for result in RESULTS:
            counts.setdefault((result,), 0)
    order = sorted(counts, key=lambda keys: _sort_key(dims, keys))
    percents = largest_remainder([counts[k] for k in order])
    rows = [
        Row(
            keys=keys,
            labels=tuple(_label(texts, d, k) for d, k in zip(dims, keys, strict=True)),
            count=counts[keys],
            residents=len(callers.get(keys, ())),
            percent=percent,
        )
        for keys, percent in zip(order, percents, strict=True)
    ]
    headers = tuple(texts(f"report_dim_{d}", "nl") for d in dims)
    return Breakdown(dims, headers, rows)


async def load_facts(db: Database, period: Period, zone: ZoneInfo) -> list[CallFact]:
    """The period's inbound calls, read on a read-only session."""
    start, end = period.bounds(zone)
    async with read_sessions(db, 1) as sessions:
        return await call_facts(session=sessions[0], start=start, end=end)


async def build_call_report(
    *,
    db: Database,
    config: FlowConfig,
    labels: Labels,
    period: Period,
    breakdowns: Sequence[tuple[str, ...]],
    zone: ZoneInfo,
) -> Report:
    """The report of metric ``calls``: inbound calls by each breakdown, with the figures."""
    texts = Texts(config)
    hours = OpeningHours.from_config(config.opening_hours, zone)
    facts = await load_facts(db, period, zone)
    figures = phone_figures(facts, hours)
    return Report(
        period=period,
        period_label=period.label(labels),
        metric=Metric.calls,
        total=len(facts),
        residents=len({f.caller for f in facts if f.caller}),
        breakdowns=[_breakdown(texts, tuple(dims), facts, zone) for dims in breakdowns],
        phone=figures,
        phone_lines=phone_lines(texts, figures),
        headings={
            key: texts(f"report_heading_{key}", "nl")
            for key in ("count", "residents", "total", "total_residents")
        },
    )
