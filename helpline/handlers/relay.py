"""Staff in their private chat: plain text is relayed to the resident of their chosen case.

The resident sees the line's name, never the staff member's own account. What the text
comes to is ``helpline.cases.staff_relay``; this edge sends the message to the
resident's chat itself, at once, so the staff member learns straight away when it
failed, and records the outcome in a transaction after the send.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from helpline.cases import staff_relay
from helpline.channels import wake_mail_sender
from helpline.handlers.staff import staff_welcome
from helpline.handlers.staff_intake import staff_intake_input
from helpline.render import inline_markup
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)


async def staff_private(update: Update, context: HelplineContext) -> bool:
    """Handles a private message from staff; False when the sender is not staff."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return False
    if await staff_intake_input(update, context):
        return True
    services = context.services
    async with services.db.session() as session:
        turn = await staff_relay.read_text(session, services, user.id, message.text or "")
    if turn is None:
        return False
    if turn.greet:
        await message.reply_text(staff_welcome(services, turn.actor))
        return True
    if turn.answer is not None:
        text, buttons = turn.answer
        if turn.mailed:
            wake_mail_sender(context.application)
        await message.reply_text(text, reply_markup=inline_markup(buttons) if buttons else None)
        return True
    to_chat = turn.to_chat
    assert to_chat is not None  # read_text gives a greeting, an answer or this message
    try:
        relayed = await context.bot.send_message(to_chat.chat_id, to_chat.text)
    except Forbidden:
        async with services.db.session() as session:
            said = await staff_relay.blocked(session, services, to_chat)
        await message.reply_text(said)
        return True
    except TelegramError:
        logger.warning("relay for request %s failed", to_chat.request.id, exc_info=True)
        await message.reply_text(staff_relay.failed(services))
        return True
    async with services.db.session() as session:
        said = await staff_relay.delivered(session, services, to_chat, relayed.message_id)
    await message.reply_text(said)
    return True
