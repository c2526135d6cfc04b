"""The figures and the log a coordinator reads in their private chat: ``/rapport`` (a
period's tallies as a workbook and a chart) and ``/audit`` (a period's audit rows).

The edge checks the chat and sends what is returned; who may read, the period, the
audit row for the reading itself and the files are decided here.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from flows.labels import Labels, load_labels
from flows.permissions import Relation, allowed
from helpline.cases import audit
from helpline.cases.access import Actor
from helpline.cases.audit import DEFAULT_DAYS, audit_csv, audit_table, to_text
from helpline.cases.core import Services
from helpline.reporting.build import STANDARD_BREAKDOWNS, build_report
from helpline.reporting.model import Report
from helpline.reporting.periods import Period, PeriodError, parse_day, parse_period
from storage import repository as repo
from storage.models import AuditAction

# The chart shows the breakdowns a reader looks at first; the workbook has them all.
CHART_BREAKDOWNS = (("category",), ("village",), ("month",))
MAX_SHOWN = 30  # audit rows in the message; a full CSV file follows when there are more
MAX_CHARS = 3800  # below Telegram's 4096, with room for the header
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


async def report_reader(session: AsyncSession, telegram_user_id: int) -> int | None:
    """The staff id of the sender when their role may take reports; None for anyone else."""
    staff = await repo.get_staff(session=session, telegram_user_id=telegram_user_id)
    if staff is None or not allowed(str(staff.role), "report", Relation.none):
        return None
    return staff.id


def file_stem(asked: str, period: Period) -> str:
    """``rapport-2026-Q1``: the period as asked for, or its first and last day."""
    asked = asked.strip().upper()
    return f"rapport-{asked or f'{period.start.isoformat()}_{period.end.isoformat()}'}"


@dataclass(frozen=True)
class PeriodReport:
    """A period's report as files: the workbook, the chart, their name and the caption."""

    period: Period
    stem: str
    caption: str
    workbook: bytes
    chart: bytes


async def period_report(services: Services, staff_id: int | None, asked: str) -> PeriodReport | str:
    """The report of the period ``asked`` (this year so far when empty) for ``staff_id``,
    whom the caller found allowed; the text explaining the formats when it cannot be read.

    The tallies are read through their own read sessions, so the export is audited in a
    transaction of its own once its total is known, before the files are drawn.
    """
    t, lang, zone = services.texts, services.staff_language, services.settings.zone
    try:
        period = parse_period(asked, today=services.clock().astimezone(zone).date())
    except PeriodError:
        return t("report_bad_period", lang)
    labels = load_labels(services.config.directory)
    report = await build_report(
        db=services.db,
        config=services.config,
        labels=labels,
        period=period,
        breakdowns=STANDARD_BREAKDOWNS,
        zone=zone,
    )
    async with services.db.session() as session:
        await audit.record(
            session,
            services,
            staff_id,
            AuditAction.export,
            detail=f"via=rapport from={period.start} to={period.end} total={report.total}",
        )
    # Drawing and zipping take a moment: keep the event loop free for residents.
    workbook, chart = await asyncio.to_thread(_render, report, labels)
    caption = t(
        "report_caption",
        lang,
        period=report.period_label,
        total=report.total,
        residents=report.residents,
    )
    return PeriodReport(period, file_stem(asked, period), caption, workbook, chart)


def _render(report: Report, labels: Labels) -> tuple[bytes, bytes]:
    # Imported here: matplotlib and openpyxl would add a second to the bot's start-up.
    from helpline.reporting.charts import to_png
    from helpline.reporting.workbook import to_xlsx

    chart = Report(
        period=report.period,
        period_label=report.period_label,
        metric=report.metric,
        total=report.total,
        residents=report.residents,
        breakdowns=[b for b in report.breakdowns if b.dims in CHART_BREAKDOWNS],
    )
    return to_xlsx(report, labels), to_png(chart, labels)


def period_of(asked: str, today: date) -> Period:
    """The period of ``/audit``'s argument; raises ``PeriodError``."""
    asked = asked.strip()
    if not asked:
        return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)
    if _DAY.match(asked):
        day = parse_day(asked)
        return Period(day, day)
    return parse_period(asked, today=today)


@dataclass(frozen=True)
class AuditView:
    """What ``/audit`` answers: a text, and when not all rows fit, a CSV file of them all."""

    text: str
    file_name: str | None = None
    file: bytes | None = None


async def audit_view(
    session: AsyncSession, services: Services, actor: Actor, *, private: bool, asked: str
) -> AuditView:
    """The audit rows of the period ``asked`` (the last week when empty) for ``actor``,
    whom the caller found allowed ``view_audit``; the reading itself is audited.

    Only in a private chat. The newest rows that fit come as text; when that leaves
    rows out, all of them follow as a CSV file.
    """
    t, lang, zone = services.texts, services.staff_language, services.settings.zone
    if not private:
        return AuditView(t("audit_private_only", lang))
    try:
        period = period_of(asked, services.clock().astimezone(zone).date())
    except PeriodError:
        return AuditView(t("audit_bad_period", lang))
    lower, upper = period.bounds(zone)
    rows = await repo.audit_entries(session=session, start=lower, end=upper)
    await audit.record(
        session,
        services,
        actor.id,
        AuditAction.audit_view,
        detail=f"via=telegram from={period.start} to={period.end} rows={len(rows)}",
    )
    table = audit_table(rows, zone)
    span = f"{period.start} – {period.end}"
    if not table:
        return AuditView(t("audit_empty", lang, period=span))
    shown = table[-MAX_SHOWN:]
    body = to_text(shown)
    while len(body) > MAX_CHARS and len(shown) > 1:  # very long details: fewer lines
        shown = shown[1:]
        body = to_text(shown)
    header = t("audit_header", lang, period=span, count=len(table), shown=len(shown))
    text = f"{header}\n\n{body[:MAX_CHARS]}"
    if len(shown) == len(table):
        return AuditView(text)
    name = f"audit-{period.start}_{period.end}.csv"
    return AuditView(text, name, audit_csv(table).encode())
