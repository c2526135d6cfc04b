"""/audit: coordinators and admins read the audit log of a period in their private chat.

``/audit`` gives the last seven days; ``/audit 2026-05-04`` one day; ``/audit 2026-05``,
``/audit 2026-Q2`` or ``/audit 2026`` a month, quarter or year. The newest rows come
as a message; when there are more, all rows follow as a CSV file. Reading the log is
itself audited.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from telegram.constants import ChatType

from helpline.cases import audit
from helpline.cases.audit import audit_table, to_text
from helpline.commands.audit import DEFAULT_DAYS, audit_csv
from helpline.handlers.turn import CommandTurn, on_command
from helpline.reporting.periods import Period, PeriodError, parse_day, parse_period
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import AuditAction

MAX_SHOWN = 30  # rows in the message; a full CSV file follows when there are more
MAX_CHARS = 3800  # below Telegram's 4096, with room for the header
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def period_of(asked: str, today: date) -> Period:
    """The period of ``/audit``'s argument; raises ``PeriodError``."""
    asked = asked.strip()
    if not asked:
        return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)
    if _DAY.match(asked):
        day = parse_day(asked)
        return Period(day, day)
    return parse_period(asked, today=today)


@on_command
async def audit_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Checks the sender is a coordinator or admin, then shows the period's audit rows."""
    services, t, lang, message, chat = turn.services, turn.t, turn.lang, turn.message, turn.chat
    zone = services.settings.zone
    async with services.db.session() as session:
        actor = await turn.actor(session, "view_audit")
        if actor is None:
            return
        if chat.type != ChatType.PRIVATE:
            await turn.reply("audit_private_only")
            return
        try:
            period = period_of(
                " ".join(context.args or []), services.clock().astimezone(zone).date()
            )
        except PeriodError:
            await turn.reply("audit_bad_period")
            return
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
        await turn.reply("audit_empty", period=span)
        return
    shown = table[-MAX_SHOWN:]
    body = to_text(shown)
    while len(body) > MAX_CHARS and len(shown) > 1:  # very long details: fewer lines
        shown = shown[1:]
        body = to_text(shown)
    header = t("audit_header", lang, period=span, count=len(table), shown=len(shown))
    await message.reply_text(f"{header}\n\n{body[:MAX_CHARS]}")
    if len(shown) < len(table):
        name = f"audit-{period.start}_{period.end}.csv"
        await context.bot.send_document(chat.id, audit_csv(table).encode(), filename=name)
