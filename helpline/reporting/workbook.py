"""A report as an Excel workbook: a summary sheet, then one sheet per breakdown.

Ready to paste into a year report: Dutch headers in bold, frozen header row,
column widths to fit, counts as numbers, percentages in percent format, and the
same numbers as the JSON export (including ``<N`` for suppressed cells). Every row
goes through ``cells.append_row``, so a name or label is always text, never a formula.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from flows.labels import Labels
from helpline.reporting.cells import append_row
from helpline.reporting.model import (
    Breakdown,
    Metric,
    Report,
    shown_average,
    shown_count,
    shown_percent,
)

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_PERCENT = "0%"
_AVERAGE = "0.0"
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(headers: tuple[str, ...], used: set[str]) -> str:
    """An Excel-safe, unique sheet name (≤ 31 characters, no []:*?/\\)."""
    base = _SHEET_NAME.sub("-", " x ".join(headers))[:31] or "Blad"
    title, n = base, 2
    while title.casefold() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.casefold())
    return title


def _fit_columns(sheet: Worksheet) -> None:
    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        if sum(cell.value is not None for cell in row) < 2:
            continue  # a title or a note may run on over the next columns
        for cell in row:
            if cell.value is not None:
                widths[cell.column] = max(widths.get(cell.column, 0), len(str(cell.value)))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 10), 60)


def _columns(report: Report, labels: Labels) -> Callable[..., str]:
    """labels.column, with the report's own headings first (metric calls)."""

    def column(key: str, **values: Any) -> str:
        return report.headings.get(key) or labels.column(key, **values)

    return column


def _summary(sheet: Worksheet, report: Report, labels: Labels, min_cell: int | None) -> None:
    column = _columns(report, labels)
    append_row(sheet, [column("summary")])
    sheet["A1"].font = _TITLE
    grade = report.metric is Metric.grade
    lines: list[tuple[str, Any]] = [
        (column("period"), report.period_label),
        (column("from"), report.period.start),
        (column("to"), report.period.end),
        (column("total_answers" if grade else "total"), shown_count(report.total, min_cell)),
        (column("total_residents"), shown_count(report.residents, min_cell)),
    ]
    if grade:
        hidden = report.average is None or (min_cell is not None and report.total < min_cell)
        average = None if hidden or report.average is None else round(report.average, 1)
        lines.append((column("average_grade"), average))
        lines.append((column("opted_out"), shown_count(report.opted_out, min_cell)))
    lines.append((column("breakdown"), ", ".join(" x ".join(b.headers) for b in report.breakdowns)))
    # The phone line's figures; hidden with --min-cell when they rest on too few calls.
    few = min_cell is not None and report.phone is not None and report.phone.calls < min_cell
    lines += [(name, None if few else value) for name, value in report.phone_lines]
    for name, value in lines:
        append_row(sheet, [name, value])
        sheet.cell(sheet.max_row, 1).font = _BOLD
        value_cell = sheet.cell(sheet.max_row, 2)
        value_cell.alignment = Alignment(horizontal="left")
        if name in (column("from"), column("to")):
            value_cell.number_format = "yyyy-mm-dd"
        if name == column("average_grade"):
            value_cell.number_format = _AVERAGE
    if min_cell is not None:
        append_row(sheet, [])
        append_row(sheet, [column("suppressed", n=min_cell)])


def _breakdown(
    sheet: Worksheet, breakdown: Breakdown, report: Report, labels: Labels, min_cell: int | None
) -> None:
    grade = report.metric is Metric.grade
    column = _columns(report, labels)
    numbers = [column("answers" if grade else "count"), column("residents")]
    numbers.append(labels.column("percent"))
    if grade:
        numbers.append(labels.column("average"))
    append_row(sheet, [*breakdown.headers, *numbers])
    for cell in sheet[1]:
        cell.font = _BOLD
    sheet.freeze_panes = "A2"
    width = len(breakdown.dims)
    for row in breakdown.rows:
        percent = shown_percent(row, min_cell)
        values: list[Any] = [
            *row.labels,
            shown_count(row.count, min_cell),
            shown_count(row.residents, min_cell),
            None if percent is None else percent / 100,
        ]
        if grade:
            values.append(shown_average(row, min_cell))
        append_row(sheet, values)
        line = sheet.max_row
        sheet.cell(line, width + 3).number_format = _PERCENT
        if grade:
            sheet.cell(line, width + 4).number_format = _AVERAGE
        for offset in range(1, 5 if grade else 4):
            sheet.cell(line, width + offset).alignment = Alignment(horizontal="right")


def to_xlsx(report: Report, labels: Labels, min_cell: int | None = None) -> bytes:
    """The workbook as bytes (write them to a ``.xlsx`` file or send them as a document)."""
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None  # a new workbook always has one sheet
    summary.title = labels.column("summary")[:31]
    _summary(summary, report, labels, min_cell)
    _fit_columns(summary)
    used = {summary.title.casefold()}
    for breakdown in report.breakdowns:
        sheet = workbook.create_sheet(_sheet_title(breakdown.headers, used))
        _breakdown(sheet, breakdown, report, labels, min_cell)
        _fit_columns(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
