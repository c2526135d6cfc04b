"""The error handler: log ids and the traceback, never message content; tell the user kindly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from helpline.services import HelplineContext

logger = logging.getLogger(__name__)


async def on_error(update: object, context: HelplineContext) -> None:
    """Logs the failure by update and chat id only, and apologises to the user."""
    chat_id = None
    if isinstance(update, Update) and update.effective_chat is not None:
        chat_id = update.effective_chat.id
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("update %s in chat %s failed", update_id, chat_id, exc_info=context.error)
    if chat_id is None or not isinstance(update, Update):
        return
    if update.effective_chat is not None and update.effective_chat.type != "private":
        return
    services = context.services
    lang = services.settings.default_language
    text = services.texts("error", lang)
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError:
        logger.warning("could not apologise in chat %s", chat_id)
