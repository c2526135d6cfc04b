"""A resident in the middle of an intake who types a staff command (``/wachtrij``, ``/mijn``
...) gets the intake's friendly re-prompt, not a staff refusal that leaves them without
their question. Registered before the staff commands (group -1): staff, and residents with
no intake running, go on to the command's own handler (which refuses non-staff).
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from helpline.cases.intake import runs_for_resident
from helpline.handlers.resident import on_resident_update
from helpline.services import HelplineContext

STAFF_COMMANDS = ("wachtrij", "queue", "mijn", "nieuw", "log", "staf", "audit", "rapport")


async def staff_command_mid_intake(update: Update, context: HelplineContext) -> None:
    """Hands a non-staff member's staff command mid-intake to the intake (re-prompt)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return
    async with context.services.db.session() as session:
        mid_intake = await runs_for_resident(session, user_id=user.id, chat_id=chat.id)
    if not mid_intake:
        return
    await on_resident_update(update, context)
    raise ApplicationHandlerStop
