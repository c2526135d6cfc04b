"""A resident's data rights in Telegram: /mijngegevens, /vergeetmij, coordinator approval.

/mijngegevens sends everything stored about the sender (readable text and a JSON
file). /vergeetmij asks first; with requests still open the erasure waits for a
coordinator, who gets an approval card in the coordination queue (via the outbox).
Staff get a pointer to the CLI instead: these commands are about one's own data.
What is read, decided and written is ``helpline.cases.data_rights``; this edge parses
the update and sends the answer.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from io import BytesIO

from telegram import CallbackQuery, Update
from telegram.error import TelegramError

from flows.conversation import parse_callback
from helpline.cases import data_rights
from helpline.cases.erasure import wipe_erased
from helpline.handlers.privacy_approval import decide
from helpline.render import inline_markup
from helpline.safe_send import answer_query
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)

# The resident's own confirm buttons, and the coordinators' approval buttons.
FORGET_PATTERN = r"^pv:forget:(yes|no)$"
APPROVAL_PATTERN = r"^pv:(approve|refuse):\d{1,12}$"
MYDATA_COMMANDS = ["mijngegevens", "mydata"]
FORGET_COMMANDS = ["vergeetmij", "forgetme"]


def _asker(update: Update, chat_id: int, chat_type: str | None) -> data_rights.Asker:
    user = update.effective_user
    assert user is not None
    return data_rights.Asker(user.id, chat_id, chat_type == "private", user.language_code)


async def mydata_command(update: Update, context: HelplineContext) -> None:
    """Sends the resident everything stored about them: readable messages and a JSON file."""
    services, message, chat = context.services, update.effective_message, update.effective_chat
    if message is None or update.effective_user is None:
        return
    asker = _asker(update, message.chat_id, chat.type if chat else None)
    async with services.db.session() as session:
        export = await data_rights.my_data(session, services, asker)
    if isinstance(export, str):
        await message.reply_text(export)
        return
    try:
        for text in export.messages:
            await message.reply_text(text)
        await message.reply_document(
            BytesIO(export.document), filename="mijngegevens.json", caption=export.caption
        )
    except TelegramError:
        logger.warning("data export to chat %s failed", message.chat_id, exc_info=True)


async def forget_command(update: Update, context: HelplineContext) -> None:
    """Asks the resident to confirm that everything about them is to be erased."""
    services, message, chat = context.services, update.effective_message, update.effective_chat
    if message is None or update.effective_user is None:
        return
    asker = _asker(update, message.chat_id, chat.type if chat else None)
    async with services.db.session() as session:
        answer = await data_rights.ask_forget(session, services, asker)
    if isinstance(answer, str):
        await message.reply_text(answer)
        return
    text, buttons = answer
    await message.reply_text(text, reply_markup=inline_markup(buttons))


async def privacy_button(update: Update, context: HelplineContext) -> None:
    """The resident's confirm/cancel, or a coordinator's approve/refuse."""
    query = update.callback_query
    if query is None:
        return
    parsed = parse_callback(query.data or "")
    if parsed is None or update.effective_user is None:
        await answer_query(query)
        return
    _, action, value = parsed
    if action == "forget":
        await answer_query(query)
        await _forget_answer(update, context, confirmed=value == "yes")
    else:  # decide() answers: a refusal is a popup, and a query takes one answer only
        await decide(update, context, int(value), approve=action == "approve")


async def _forget_answer(update: Update, context: HelplineContext, *, confirmed: bool) -> None:
    """Erases now, asks a coordinator (open requests), or keeps everything."""
    services, query = context.services, update.callback_query
    assert query is not None
    message = query.message
    if message is None or message.chat.type != "private":
        return
    await _drop_buttons(query)
    asker = _asker(update, message.chat.id, message.chat.type)
    async with services.db.session() as session:
        answer = await data_rights.answer_forget(session, services, asker, confirmed=confirmed)
    if answer.erased:
        await wipe_erased(services)
    await context.bot.send_message(message.chat.id, answer.text)
    if answer.resident:
        services.dispatcher.kick(context.application)


async def _drop_buttons(query: CallbackQuery) -> None:
    """Removes the buttons of an answered question (a second press then finds none)."""
    # Already removed, or too old to edit: the answer still goes out.
    with suppress(TelegramError):
        await query.edit_message_reply_markup(None)
