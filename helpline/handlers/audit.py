"""/audit: coordinators and admins read the audit log of a period in their private chat.

``/audit`` gives the last seven days; ``/audit 2026-05-04`` one day; ``/audit 2026-05``,
``/audit 2026-Q2`` or ``/audit 2026`` a month, quarter or year. The newest rows come
as a message; when there are more, all rows follow as a CSV file. Reading the log is
itself audited.
"""

from __future__ import annotations

from telegram.constants import ChatType

from helpline.cases import reports
from helpline.handlers.turn import CommandTurn, on_command
from helpline.services import HelplineContext


@on_command
async def audit_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Checks the sender is a coordinator or admin, then shows the period's audit rows."""
    services, message, chat = turn.services, turn.message, turn.chat
    async with services.db.session() as session:
        actor = await turn.actor(session, "view_audit")
        if actor is None:
            return
        view = await reports.audit_view(
            session,
            services,
            actor,
            private=chat.type == ChatType.PRIVATE,
            asked=" ".join(context.args or []),
        )
    await message.reply_text(view.text)
    if view.file is not None:
        await context.bot.send_document(chat.id, view.file, filename=view.file_name)
