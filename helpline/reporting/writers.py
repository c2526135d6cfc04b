"""A report as JSON or CSV.

JSON of one breakdown::

    {"from": "2026-01-01", "to": "2026-12-31", "metric": "contacts", "by": ["category"],
     "total": 1234, "residents": 456, "min_cell": null,
     "rows": [{"category": "geldzaken", "category_label": "Geldzaken",
               "label": "Geldzaken", "count": 120, "residents": 80, "percent": 10}, ...]}

Each dimension gives its key and ``<dim>_label``; ``label`` joins the labels of all
dimensions with " – ". Several breakdowns (``--by`` given more than once) give
``"breakdowns": [{"by": [...], "rows": [...]}, ...]`` instead of ``by`` and ``rows``.
Metric grade rows carry ``answers`` and ``average`` instead of ``count``; the top
level adds ``average`` and ``opted_out``. A suppressed number is the string ``"<N"``
and its percent (and average) is null. When the period had phone calls, ``phone``
holds the phone line's figures: ``calls``, ``answered``, ``missed``, ``called_back``,
``unknown``, ``answer_rate`` and ``called_back_within_day`` (percents) and
``median_callback_minutes`` (``--metric calls`` counts the calls themselves, by
``call_result``, ``hour``, ``weekday`` or ``month``; ``residents`` is distinct callers).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flows.errors import SingleBreakdownError
from helpline.reporting.cells import safe_cell
from helpline.reporting.model import (
    Breakdown,
    Metric,
    Report,
    Row,
    shown_average,
    shown_count,
    shown_percent,
)

CSV_ONE_BREAKDOWN = (
    "CSV holds one breakdown; give --by once (combine dimensions with commas), "
    "or use --format xlsx or json"
)


def count_field(metric: Metric) -> str:
    """``count`` for contacts and calls, ``answers`` for grades."""
    return "answers" if metric is Metric.grade else "count"


def row_dict(
    row: Row, dims: tuple[str, ...], metric: Metric, min_cell: int | None
) -> dict[str, Any]:
    """One row as a flat mapping: keys, labels, then the (possibly suppressed) numbers."""
    out: dict[str, Any] = {}
    for dim, key, label in zip(dims, row.keys, row.labels, strict=True):
        out[dim] = key
        out[f"{dim}_label"] = label
    out["label"] = row.label
    out[count_field(metric)] = shown_count(row.count, min_cell)
    out["residents"] = shown_count(row.residents, min_cell)
    out["percent"] = shown_percent(row, min_cell)
    if metric is Metric.grade:
        out["average"] = shown_average(row, min_cell)
    return out


def _breakdown(breakdown: Breakdown, report: Report, min_cell: int | None) -> dict[str, Any]:
    return {
        "by": list(breakdown.dims),
        "rows": [row_dict(r, breakdown.dims, report.metric, min_cell) for r in breakdown.rows],
    }


def report_dict(report: Report, min_cell: int | None = None) -> dict[str, Any]:
    """The report as the JSON document described in the module docstring."""
    out: dict[str, Any] = {
        "from": report.period.start.isoformat(),
        "to": report.period.end.isoformat(),
        "metric": report.metric.value,
        "total": shown_count(report.total, min_cell),
        "residents": shown_count(report.residents, min_cell),
        "min_cell": min_cell,
    }
    if report.metric is Metric.grade:
        hidden = report.average is None or (min_cell is not None and report.total < min_cell)
        out["average"] = None if hidden or report.average is None else round(report.average, 1)
        out["opted_out"] = shown_count(report.opted_out, min_cell)
    if report.phone is not None:  # figures of the phone line (metric calls, or beside contacts)
        out["phone"] = _phone(report, min_cell)
    if len(report.breakdowns) == 1:
        out.update(_breakdown(report.breakdowns[0], report, min_cell))
    else:
        out["breakdowns"] = [_breakdown(b, report, min_cell) for b in report.breakdowns]
    return out


def _phone(report: Report, min_cell: int | None) -> dict[str, Any]:
    figures = report.phone
    assert figures is not None
    counts = ("calls", "answered", "missed", "called_back", "unknown")
    out: dict[str, Any] = {name: shown_count(getattr(figures, name), min_cell) for name in counts}
    # A rate resting on too few calls would tell about them: hidden like a small count.
    few = min_cell is not None and figures.calls < min_cell
    for name in ("answer_rate", "called_back_within_day", "median_callback_minutes"):
        out[name] = None if few else getattr(figures, name)
    return out


def to_json(report: Report, min_cell: int | None = None) -> str:
    """The report as indented JSON (UTF-8 text, labels not escaped)."""
    return json.dumps(report_dict(report, min_cell), ensure_ascii=False, indent=2) + "\n"


def to_csv(report: Report, min_cell: int | None = None) -> str:
    """One breakdown as CSV: the JSON row fields as columns, a header line first.

    A text that a spreadsheet program would run as a formula (a staff name starting
    with ``=``, say) gets a leading single quote; numbers stay numbers.

    Raises:
        SingleBreakdownError: when the report has several breakdowns.
    """
    if len(report.breakdowns) != 1:
        raise SingleBreakdownError(CSV_ONE_BREAKDOWN)
    breakdown = report.breakdowns[0]
    fields = [name for dim in breakdown.dims for name in (dim, f"{dim}_label")]
    fields += ["label", count_field(report.metric), "residents", "percent"]
    if report.metric is Metric.grade:
        fields.append("average")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in breakdown.rows:
        cells = row_dict(row, breakdown.dims, report.metric, min_cell)
        writer.writerow({name: safe_cell(value) for name, value in cells.items()})
    return buffer.getvalue()
