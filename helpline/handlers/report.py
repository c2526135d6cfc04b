"""/rapport: a coordinator gets the tallies of a period as a workbook and a chart.

``/rapport`` gives this year so far; ``/rapport 2026``, ``/rapport 2026-Q1`` or
``/rapport 2026-03`` a year, quarter or month. Only coordinators and admins, and
only in a private chat, so the figures do not land in a queue group.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import Update
from telegram.constants import ChatType

from helpline.cases import reports

if TYPE_CHECKING:
    from helpline.services import HelplineContext

logger = logging.getLogger(__name__)


async def report_command(update: Update, context: HelplineContext) -> None:
    """Checks the sender is a coordinator, then sends the period's workbook and chart."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    services = context.services
    lang = services.staff_language
    async with services.db.session() as session:
        staff_id = await reports.report_reader(session, user.id)
    if staff_id is None:
        await message.reply_text(services.texts("report_not_allowed", lang))
        return
    if chat.type != ChatType.PRIVATE:
        await message.reply_text(services.texts("report_private_only", lang))
        return
    report = await reports.period_report(services, staff_id, " ".join(context.args or []))
    if isinstance(report, str):
        await message.reply_text(report)
        return
    stem, period = report.stem, report.period
    await context.bot.send_document(
        chat.id, report.workbook, filename=f"{stem}.xlsx", caption=report.caption
    )
    await context.bot.send_document(chat.id, report.chart, filename=f"{stem}.png")
    logger.info("report %s..%s sent to staff %s", period.start, period.end, staff_id)
