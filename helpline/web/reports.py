"""Reports on the web page: a period and a breakdown over the report engine of ``helpline
export`` and ``/rapport``, the table and chart, and downloads (XLSX, CSV, PNG).

Coordinators and admins only (``report``), as ``/rapport``. The form is a GET: a period
and a dimension are no one's personal data, and a link to a report can be shared among
coordinators. ``min_cell`` hides small counts in the table, the chart and every download
alike (the engine's ``shown_*`` helpers). Every report shown or downloaded is an audit
row (``export``), as ``/rapport``'s is. The chart on the page is the report the page
was drawn from: it is kept a short while for the chart's own request, so showing a
report builds and records it once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flows.labels import Labels, load_labels
from helpline.reporting.build import DIMENSIONS, STANDARD_BREAKDOWNS, build_report
from helpline.reporting.model import Report, shown_count, shown_percent
from helpline.reporting.periods import Period, PeriodError, parse_period
from helpline.web.sessions import Page, page, server_state
from storage import repository as repo
from storage.models import AuditAction

MAX_MIN_CELL = 100
CHART_KEPT = timedelta(minutes=2)  # the page's chart is asked for within moments
CHARTS_KEPT_MAX = 50
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "png": "image/png",
}


def report_routes() -> list[Route]:
    """The report page and its downloads."""
    return [
        Route("/web/reports", page(report_page), methods=["GET"]),
        Route("/web/reports/download", page(report_download), methods=["GET"]),
    ]


@dataclass(frozen=True)
class Ask:
    """A report asked for: the period as typed and read, one dimension, the small-cell limit."""

    typed: str
    period: Period
    by: str
    min_cell: int | None

    def query(self, **extra: str) -> str:
        """The ask as a query string (for the chart and the download links)."""
        values = {"period": self.typed, "by": self.by, **extra}
        if self.min_cell:
            values["min_cell"] = str(self.min_cell)
        return urlencode(values)


@dataclass
class PageCharts:
    """The reports the report page was drawn from, by (staff member, chart link), each
    for ``CHART_KEPT``: the chart's request takes its report instead of building it."""

    reports: dict[tuple[int, str], tuple[datetime, Report]] = field(default_factory=dict)

    def keep(self, key: tuple[int, str], report: Report, now: datetime) -> None:
        """Keeps the report drawn for ``key`` (the oldest goes when there are too many)."""
        self.reports = {k: v for k, v in self.reports.items() if now - v[0] < CHART_KEPT}
        if len(self.reports) >= CHARTS_KEPT_MAX:
            del self.reports[next(iter(self.reports))]
        self.reports[key] = (now, report)

    def take(self, key: tuple[int, str], now: datetime) -> Report | None:
        """The report kept for ``key`` while it is fresh; taken once."""
        kept = self.reports.pop(key, None)
        if kept is None or not (kept[0] <= now < kept[0] + CHART_KEPT):
            return None
        return kept[1]


def page_charts(request: Request) -> PageCharts:
    """The charts of this web app."""
    return server_state(request, "page_charts", PageCharts)


def read_ask(params: Mapping[str, str], p: Page) -> Ask | str:
    """The ask from the form, or the web text key of what is wrong with it."""
    typed = " ".join(str(params.get("period", "")).split())[:20]
    today = p.services.clock().astimezone(p.services.settings.zone).date()
    try:
        period = parse_period(typed, today=today)
    except PeriodError:
        return "report_bad_period"
    by = str(params.get("by") or "category")
    if by not in DIMENSIONS:
        return "report_bad_dimension"
    raw = str(params.get("min_cell") or "").strip()
    if not raw:
        return Ask(typed, period, by, None)
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_MIN_CELL:
        return "report_bad_min_cell"
    return Ask(typed, period, by, int(raw))


async def _report(p: Page, ask: Ask, labels: Labels, *, workbook: bool = False) -> Report:
    # The workbook also has /rapport's standard breakdowns; the table, CSV and chart one.
    breakdowns: list[tuple[str, ...]] = [(ask.by,)]
    if workbook:
        breakdowns += [b for b in STANDARD_BREAKDOWNS if b != (ask.by,)]
    report = await build_report(
        db=p.services.db,
        config=p.services.config,
        labels=labels,
        period=ask.period,
        breakdowns=breakdowns,
        zone=p.services.settings.zone,
    )
    await repo.record_audit(
        session=p.session,
        actor_staff_id=p.who.actor.id,
        action=AuditAction.export,
        detail=f"via=web by={ask.by} from={ask.period.start} to={ask.period.end} "
        f"total={report.total}",
        now=p.services.clock(),
    )
    return report


async def report_page(p: Page) -> Response:
    """The form, and the report it asks for (this year by category when nothing is asked)."""
    if not p.who.actor.may("report"):
        return p.render("message.html", 403, message="not_allowed")
    ask = read_ask(p.request.query_params, p)
    dimensions = [(d, p.t(f"dim_{d}", p.lang)) for d in DIMENSIONS]
    form = {
        "typed": str(p.request.query_params.get("period", ""))[:20],
        "by": str(p.request.query_params.get("by") or "category"),
        "min_cell": str(p.request.query_params.get("min_cell") or "")[:3],
    }
    if isinstance(ask, str):
        return p.render("reports.html", 400, form=form, dimensions=dimensions, problem=ask)
    labels = load_labels(p.services.config.directory)
    report = await _report(p, ask, labels)
    chart = ask.query(format="png")
    page_charts(p.request).keep((p.who.actor.id, chart), report, p.services.clock())
    [breakdown] = report.breakdowns
    rows = [
        {
            "label": row.label,
            "count": shown_count(row.count, ask.min_cell),
            "residents": shown_count(row.residents, ask.min_cell),
            "percent": shown_percent(row, ask.min_cell),
        }
        for row in breakdown.rows
    ]
    return p.render(
        "reports.html",
        form=form,
        dimensions=dimensions,
        problem=None,
        report=report,
        heading=breakdown.headers[0] if breakdown.headers else ask.by,
        rows=rows,
        total=shown_count(report.total, ask.min_cell),
        residents=shown_count(report.residents, ask.min_cell),
        links={f: f"/web/reports/download?{ask.query(format=f)}" for f in FORMATS},
    )


async def report_download(p: Page) -> Response:
    """The report as XLSX (with the standard breakdowns), CSV or PNG."""
    if not p.who.actor.may("report"):
        return p.render("message.html", 403, message="not_allowed")
    ask = read_ask(p.request.query_params, p)
    kind = str(p.request.query_params.get("format", ""))
    if isinstance(ask, str) or kind not in FORMATS:
        return p.render("message.html", 400, message="report_bad_download")
    labels = load_labels(p.services.config.directory)
    drawn = None
    if kind == "png":  # the page's own chart: its report is built and recorded already
        key = (p.who.actor.id, ask.query(format=kind))
        drawn = page_charts(p.request).take(key, p.services.clock())
    report = drawn or await _report(p, ask, labels, workbook=kind == "xlsx")
    # Drawing and zipping take a moment: keep the event loop free for residents.
    body = await asyncio.to_thread(_render, report, labels, kind, ask.min_cell)
    name = f"rapport-{ask.typed or f'{ask.period.start}_{ask.period.end}'}-{ask.by}.{kind}"
    disposition = "inline" if kind == "png" else f'attachment; filename="{name}"'
    return Response(body, media_type=FORMATS[kind], headers={"content-disposition": disposition})


def _render(report: Report, labels: Labels, kind: str, min_cell: int | None) -> bytes:
    # Imported here: matplotlib and openpyxl would add a second to the bot's start-up.
    if kind == "xlsx":
        from helpline.reporting.workbook import to_xlsx

        return to_xlsx(report, labels, min_cell)
    if kind == "png":
        from helpline.reporting.charts import to_png

        return to_png(report, labels, min_cell)
    from helpline.reporting.writers import to_csv

    return to_csv(report, min_cell).encode("utf-8")
