"""The resident's answer to the check question asked when a message may mean danger.

What the answer does (a crisis on "Ja", once) is ``helpline.cases.safety_answer``; this
edge reads the press, removes the buttons and sends the reply after the commit.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from helpline.cases.conversation import Sender
from helpline.cases.safety_answer import answer_check
from helpline.handlers.resident import language_of
from helpline.safe_send import answer_query
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)

SAFETY_CHECK_PATTERN = r"^risk:(yes|no):0$"


async def safety_check_button(update: Update, context: HelplineContext) -> None:
    """Handles "Ja" or "Nee, dat niet" under the check question."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None:
        return
    await answer_query(query)
    if user is None or chat is None or chat.type != "private":
        return
    services = context.services
    yes = (query.data or "").startswith("risk:yes")
    sender = Sender(chat.id, user.id, user.first_name, language_of(update, services))
    async with services.db.session() as session:
        text = await answer_check(session, services, sender, yes=yes)
    try:
        await query.edit_message_reply_markup(None)  # the question is answered
    except TelegramError:
        logger.info("check question in chat %s kept its buttons", chat.id)
    try:
        await context.bot.send_message(chat.id, text)
    except TelegramError:
        logger.warning("answer to the check question in chat %s failed", chat.id, exc_info=True)
    services.dispatcher.kick(context.application)
