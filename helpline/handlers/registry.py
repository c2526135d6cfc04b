"""Every Telegram handler of the bot, in the order that decides which one answers.

One list of registrations: the forged-id guard first, then the buttons and commands of
staff and residents, the catch-alls last. Every handler added here must also be in the
authorization table of the tests, which is how a new one cannot skip its role check.
"""

from __future__ import annotations

import re
from functools import partial

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from flows.calls.callbacks import ALERT_PATTERN, CALL_PATTERN, RESIDENT_PATTERN
from flows.satisfaction import CALLBACK_PATTERN as SURVEY_PATTERN
from helpline.cases.core import Services
from helpline.handlers.audit import audit_command
from helpline.handlers.call_admin import (
    AGENDA_COMMANDS,
    AVAILABILITY_COMMANDS,
    CONTACT_COMMANDS,
    agenda_command,
    availability_command,
    contact_command,
    prompt_input,
)
from helpline.handlers.call_alerts import alert_button
from helpline.handlers.call_outcome import resident_call_button
from helpline.handlers.calls import PLAN_COMMANDS, call_button, plan_command
from helpline.handlers.casework import CASE_PATTERN, case_button
from helpline.handlers.contact_log import LOG_PATTERN, log_button, log_command
from helpline.handlers.errors import on_error
from helpline.handlers.handover import (
    HANDOVER_PATTERN,
    TARGET_PATTERN,
    handover_button,
    target_button,
)
from helpline.handlers.mid_intake import STAFF_COMMANDS as MID_INTAKE_COMMANDS
from helpline.handlers.mid_intake import staff_command_mid_intake
from helpline.handlers.phone_calls import PHONE_PATTERN, phone_call_button
from helpline.handlers.privacy import (
    APPROVAL_PATTERN,
    FORGET_COMMANDS,
    FORGET_PATTERN,
    MYDATA_COMMANDS,
    forget_command,
    mydata_command,
    privacy_button,
)
from helpline.handlers.private_only import private_only
from helpline.handlers.queues import mine_command, queue_command
from helpline.handlers.relay import staff_private
from helpline.handlers.report import report_command
from helpline.handlers.resident import on_resident_update
from helpline.handlers.rota import ROTA_COMMANDS, rota_command
from helpline.handlers.safety_check import SAFETY_CHECK_PATTERN, safety_check_button
from helpline.handlers.setup import (
    LINK_COMMAND,
    first_admin_start,
    link_command,
    refresh_queue_groups,
    refresh_queue_groups_hook,
)
from helpline.handlers.staff import CLAIM_PATTERN, claim_button
from helpline.handlers.staff_admin import staff_command
from helpline.handlers.staff_intake import PI_PATTERN, new_command, staff_intake_input
from helpline.handlers.survey import survey_button
from helpline.handlers.web_login import LOGIN_COMMANDS, login_command
from helpline.safe_send import answer_query
from helpline.services import HelplineApp, HelplineContext

MAX_ROW_ID = 2**31 - 1  # INTEGER primary keys
# Any button data with ten digits or more: checked for an id no row can have.
IMPOSSIBLE_ID_PATTERN = r"^.*\d{10}"


def register_handlers(application: HelplineApp, services: Services) -> None:
    """Adds every handler, in order; also the hook that keeps the queue groups fresh."""
    private = filters.ChatType.PRIVATE
    # First run: the linked queue groups are fresh before any handler sends to a group
    # (group -4), and /start <code> registers the first admin before the intake sees it.
    application.add_handler(TypeHandler(Update, refresh_queue_groups), group=-4)
    application.add_handler(CommandHandler("start", first_admin_start, private), group=-3)
    if not any(
        getattr(h, "func", None) is refresh_queue_groups_hook for h in services.dispatcher.hooks
    ):
        services.dispatcher.hooks.insert(0, partial(refresh_queue_groups_hook, services))
    # Order matters: the claim button is matched before the resident's catch-all.
    # Before every button: an id no row can have (the patterns allow 12 digits, the
    # database's integers end at 2**31 - 1, and PostgreSQL refuses a bigger one).
    application.add_handler(
        CallbackQueryHandler(_impossible_id, pattern=IMPOSSIBLE_ID_PATTERN), group=-2
    )
    application.add_handler(CallbackQueryHandler(claim_button, pattern=CLAIM_PATTERN))
    application.add_handler(CallbackQueryHandler(case_button, pattern=CASE_PATTERN))
    application.add_handler(CallbackQueryHandler(handover_button, pattern=HANDOVER_PATTERN))
    application.add_handler(CallbackQueryHandler(target_button, pattern=TARGET_PATTERN))
    # Staff commands work in private chats and in queue groups; those whose answer names
    # residents point to the private chat when sent in a group.
    # A resident mid-intake who types a staff command gets the intake's re-prompt.
    # Every staff command: a resident mid-intake who types one keeps their intake.
    staff_commands = [
        *MID_INTAKE_COMMANDS,
        LINK_COMMAND,
        *ROTA_COMMANDS,
        *LOGIN_COMMANDS,
        *PLAN_COMMANDS,
        *AGENDA_COMMANDS,
        *AVAILABILITY_COMMANDS,
        *CONTACT_COMMANDS,
    ]
    application.add_handler(CommandHandler(staff_commands, staff_command_mid_intake), group=-1)
    application.add_handler(CommandHandler(["wachtrij", "queue"], private_only(queue_command)))
    application.add_handler(CommandHandler("mijn", private_only(mine_command)))
    application.add_handler(CommandHandler("nieuw", new_command))
    application.add_handler(CommandHandler("log", private_only(log_command)))
    application.add_handler(CommandHandler("staf", staff_command))
    application.add_handler(CommandHandler(LINK_COMMAND, link_command))  # in a queue group
    application.add_handler(CommandHandler("audit", audit_command))
    application.add_handler(CommandHandler("rapport", report_command))
    application.add_handler(CommandHandler(ROTA_COMMANDS, rota_command))
    application.add_handler(CommandHandler(LOGIN_COMMANDS, private_only(login_command)))
    # A resident's own data (before the private catch-all, which would start an intake).
    application.add_handler(CommandHandler(MYDATA_COMMANDS, mydata_command))
    application.add_handler(CommandHandler(FORGET_COMMANDS, forget_command))
    application.add_handler(CallbackQueryHandler(privacy_button, pattern=FORGET_PATTERN))
    application.add_handler(CallbackQueryHandler(privacy_button, pattern=APPROVAL_PATTERN))
    application.add_handler(CallbackQueryHandler(log_button, pattern=LOG_PATTERN))
    application.add_handler(CallbackQueryHandler(phone_call_button, pattern=PHONE_PATTERN))
    # Follow-up calls; a typed answer to a call prompt goes first (group -1).
    application.add_handler(CommandHandler(PLAN_COMMANDS, private_only(plan_command)))
    application.add_handler(CommandHandler(AGENDA_COMMANDS, private_only(agenda_command)))
    application.add_handler(CommandHandler(AVAILABILITY_COMMANDS, availability_command))
    application.add_handler(CommandHandler(CONTACT_COMMANDS, private_only(contact_command)))
    application.add_handler(CallbackQueryHandler(call_button, pattern=CALL_PATTERN))
    application.add_handler(CallbackQueryHandler(alert_button, pattern=ALERT_PATTERN))
    application.add_handler(CallbackQueryHandler(resident_call_button, pattern=RESIDENT_PATTERN))
    application.add_handler(
        MessageHandler(private & filters.UpdateType.MESSAGE, prompt_input), group=-1
    )
    application.add_handler(CallbackQueryHandler(_staff_intake_button, pattern=PI_PATTERN))
    application.add_handler(CallbackQueryHandler(survey_button, pattern=SURVEY_PATTERN))
    application.add_handler(CallbackQueryHandler(on_resident_update, pattern=r"^in:"))
    application.add_handler(CallbackQueryHandler(safety_check_button, pattern=SAFETY_CHECK_PATTERN))
    application.add_handler(CallbackQueryHandler(_stale_button))
    application.add_handler(
        MessageHandler(
            private & filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, _private_update
        )
    )
    application.add_error_handler(on_error)


async def _private_update(update: Update, context: HelplineContext) -> None:
    """Routes a private chat update: staff to their relay and help, everyone else the intake."""
    user = update.effective_user
    # Residents skip the staff handlers and their own lookups (two transactions an update).
    staff = user is not None and await context.sender_is_staff(user.id)
    if staff and await staff_private(update, context):
        return
    await on_resident_update(update, context)


async def _staff_intake_button(update: Update, context: HelplineContext) -> None:
    """A button of the staff intake; stale or foreign presses get a short answer."""
    if not await staff_intake_input(update, context) and update.callback_query is not None:
        await answer_query(
            update.callback_query,
            context.services.texts("claim_gone", context.services.staff_language),
        )


async def _impossible_id(update: Update, context: HelplineContext) -> None:
    """Button data with a number beyond any row id (forged): answered, nothing else runs."""
    query = update.callback_query
    numbers = re.findall(r"\d+", query.data or "") if query is not None else []
    if query is None or all(int(n) <= MAX_ROW_ID for n in numbers):
        return  # a real id of ten digits: the other handlers take it
    await answer_query(query, context.services.texts("claim_gone", context.services.staff_language))
    raise ApplicationHandlerStop


async def _stale_button(update: Update, context: HelplineContext) -> None:
    """Any other button data (old, forged or malformed): answer without acting."""
    query = update.callback_query
    if query is None:
        return
    if query.message is not None and query.message.chat.type == ChatType.PRIVATE:
        await on_resident_update(update, context)
        return
    await answer_query(query, context.services.texts("claim_gone", context.services.staff_language))
