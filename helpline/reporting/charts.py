"""A report as a PNG: one bar chart per breakdown, stacked in one image.

Drawn with matplotlib's Agg canvas directly (no pyplot): no display, no global
figure state, so it is safe in a worker thread of the bot. One dimension gives
horizontal bars (long Dutch labels stay readable); two dimensions give stacked
columns (e.g. months by category); more give horizontal bars with joined labels.
A suppressed cell is not drawn.
"""

from __future__ import annotations

import io

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from flows.labels import Labels
from helpline.reporting.model import Breakdown, Metric, Report, Row, is_suppressed

MAX_BARS = 40  # beyond this a bar chart stops being readable; the sheet has all rows
_BAR_INCH = 0.28
_DPI = 110


def _value(row: Row, metric: Metric, min_cell: int | None) -> float:
    if is_suppressed(row.count, min_cell):
        return 0.0
    if metric is Metric.grade:
        return row.average or 0.0
    return float(row.count)


def _horizontal(
    axes: Axes, breakdown: Breakdown, report: Report, min_cell: int | None, xlabel: str
) -> None:
    rows = breakdown.rows[:MAX_BARS]
    values = [_value(row, report.metric, min_cell) for row in rows]
    positions = list(range(len(rows)))
    axes.barh(positions, values, color="#2b7bb9")
    axes.set_yticks(positions, [row.label for row in rows], fontsize=8)
    axes.invert_yaxis()  # first row on top, as in the table
    axes.set_xlabel(xlabel)
    for position, row, value in zip(positions, rows, values, strict=True):
        if is_suppressed(row.count, min_cell):
            text = f"<{min_cell}"
        elif report.metric is Metric.grade:
            text = f"{value:.1f}"
        else:
            text = f"{row.count} ({row.percent}%)"
        axes.annotate(
            text,
            (value, position),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
        )
    if report.metric is Metric.grade:
        axes.set_xlim(0, 10.5)
    elif values and max(values) > 0:
        axes.set_xlim(0, max(values) * 1.2)


def _stacked(
    axes: Axes, breakdown: Breakdown, report: Report, min_cell: int | None, ylabel: str
) -> None:
    columns: dict[str | None, str] = {}
    stacks: dict[str | None, str] = {}
    sizes: dict[str | None, int] = {}
    for row in breakdown.rows:
        columns.setdefault(row.keys[0], row.labels[0])
        stacks.setdefault(row.keys[1], row.labels[1])
        sizes[row.keys[1]] = sizes.get(row.keys[1], 0) + row.count
    # Biggest stack at the bottom, where it is easiest to read; unknown on top.
    order = sorted(stacks, key=lambda key: (key is None, -sizes[key]))
    stacks = {key: stacks[key] for key in order}
    index = {key: n for n, key in enumerate(columns)}
    bottoms = [0.0] * len(columns)
    colours = list(colormaps["tab20"].colors)  # type: ignore[attr-defined]
    for n, (stack, stack_label) in enumerate(stacks.items()):
        heights = [0.0] * len(columns)
        for row in breakdown.rows:
            if row.keys[1] == stack:
                heights[index[row.keys[0]]] = _value(row, report.metric, min_cell)
        axes.bar(
            list(range(len(columns))),
            heights,
            bottom=bottoms,
            label=stack_label,
            color=colours[n % len(colours)],
        )
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    axes.set_xticks(
        list(range(len(columns))), list(columns.values()), rotation=45, ha="right", fontsize=8
    )
    axes.set_ylabel(ylabel)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _height(breakdown: Breakdown, report: Report) -> float:
    if len(breakdown.dims) == 2 and report.metric is Metric.contacts:
        return 4.5
    return max(2.0, min(len(breakdown.rows), MAX_BARS) * _BAR_INCH + 1.2)


def to_png(report: Report, labels: Labels, min_cell: int | None = None) -> bytes:
    """The charts as PNG bytes."""
    heights = [_height(b, report) for b in report.breakdowns] or [2.0]
    figure = Figure(figsize=(10, sum(heights) + 0.8), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    grade = report.metric is Metric.grade
    value_label = labels.column("average" if grade else "chart_count")
    total_label = labels.column("total_answers" if grade else "total")
    title = f"{report.period_label} — {total_label}: {report.total}"
    if min_cell is not None:
        title += "\n" + labels.column("suppressed", n=min_cell)
    figure.suptitle(title, fontsize=11)
    if not report.breakdowns:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    grid = figure.add_gridspec(len(heights), 1, height_ratios=heights)
    for n, breakdown in enumerate(report.breakdowns):
        axes = figure.add_subplot(grid[n, 0])
        axes.set_title(" x ".join(breakdown.headers), fontsize=10, loc="left")
        if len(breakdown.dims) == 2 and not grade:
            _stacked(axes, breakdown, report, min_cell, value_label)
        else:
            _horizontal(axes, breakdown, report, min_cell, value_label)
        axes.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
