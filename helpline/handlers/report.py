"""/rapport: a coordinator gets the tallies of a period as a workbook and a chart.

``/rapport`` gives this year so far; ``/rapport 2026``, ``/rapport 2026-Q1`` or
``/rapport 2026-03`` a year, quarter or month. Only coordinators and admins, and
only in a private chat, so the figures do not land in a queue group.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from telegram import Update
from telegram.constants import ChatType

from flows.labels import Labels, load_labels
from flows.permissions import Relation, allowed
from helpline.cases import audit
from helpline.reporting.build import STANDARD_BREAKDOWNS, build_report
from helpline.reporting.model import Report
from helpline.reporting.periods import Period, PeriodError, parse_period
from storage import repository as repo
from storage.models import AuditAction

if TYPE_CHECKING:
    from helpline.services import HelplineContext

logger = logging.getLogger(__name__)

# The chart shows the breakdowns a reader looks at first; the workbook has them all.
CHART_BREAKDOWNS = (("category",), ("village",), ("month",))


def file_stem(asked: str, period: Period) -> str:
    """``rapport-2026-Q1``: the period as asked for, or its first and last day."""
    asked = asked.strip().upper()
    return f"rapport-{asked or f'{period.start.isoformat()}_{period.end.isoformat()}'}"


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


async def report_command(update: Update, context: HelplineContext) -> None:
    """Checks the sender is a coordinator, then sends the period's workbook and chart."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    services = context.services
    labels = load_labels(services.config.directory)
    lang = services.staff_language
    async with services.db.session() as session:
        staff = await repo.get_staff(session=session, telegram_user_id=user.id)
    if staff is None or not allowed(str(staff.role), "report", Relation.none):
        await message.reply_text(services.texts("report_not_allowed", lang))
        return
    if chat.type != ChatType.PRIVATE:
        await message.reply_text(services.texts("report_private_only", lang))
        return
    zone = services.settings.zone
    asked = " ".join(context.args or [])
    try:
        period = parse_period(asked, today=services.clock().astimezone(zone).date())
    except PeriodError:
        await message.reply_text(services.texts("report_bad_period", lang))
        return
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
            staff.id,
            AuditAction.export,
            detail=f"via=rapport from={period.start} to={period.end} total={report.total}",
        )
    # Drawing and zipping take a moment: keep the event loop free for residents.
    workbook, chart = await asyncio.to_thread(_render, report, labels)
    stem = file_stem(asked, period)
    caption = services.texts(
        "report_caption",
        lang,
        period=report.period_label,
        total=report.total,
        residents=report.residents,
    )
    await context.bot.send_document(chat.id, workbook, filename=f"{stem}.xlsx", caption=caption)
    await context.bot.send_document(chat.id, chart, filename=f"{stem}.png")
    logger.info("report %s..%s sent to staff %s", period.start, period.end, staff.id)
