"""Residents in their private chat: the intake, crisis replies and later messages.

One update = one transaction: load the draft, run the pure step, store the result,
commit, then send. A crisis reply goes out first, before anything else happens.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from flows.conversation import CommandIn, Reply, TextIn
from flows.safety import check_buttons, safety_text
from flows.triage import Classification
from helpline.cases import chatlog, conversation
from helpline.cases.core import Services
from helpline.handlers import quick_exit
from helpline.handlers.survey import remark_reply
from helpline.render import reply_markup, to_input, wire_markup
from helpline.safe_send import answer_query, send_retrying
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)


def language_of(update: Update, services: Services) -> str:
    """English for residents whose Telegram speaks English, else the line's default."""
    code = (update.effective_user.language_code or "") if update.effective_user else ""
    return "en" if code.lower().startswith("en") else services.settings.default_language


async def on_resident_update(update: Update, context: HelplineContext) -> None:
    """Handles every private-chat message or button press of a resident."""
    services = context.services
    user, chat = update.effective_user, update.effective_chat
    if update.callback_query is not None:
        await answer_query(update.callback_query)
    if user is None or chat is None or chat.type != "private":
        return
    event = to_input(update)
    # Ids only, for /wis (helpline.cases.chatlog): recorded in the update's one transaction,
    # or on their own on the two paths that have none here.
    seen = [update.message.message_id] if update.message is not None else []
    if isinstance(event, CommandIn) and event.name in quick_exit.COMMANDS:
        await _remember_incoming(services, chat.id, seen)
        await quick_exit.quick_exit(update, context)  # before anything else: the screen
        return
    sender = conversation.Sender(chat.id, user.id, user.first_name, language_of(update, services))
    safety = conversation.safety_check(services, event)
    safety_sent: list[int] = []
    if safety is not None:
        sent = await _send_safety(context, chat.id, safety, sender.language)
        safety_sent = [sent] if sent is not None else []
    asking = safety is not None and safety.risk == "possible"
    # A remark for the satisfaction survey is kept, also when the line asks about it.
    if (safety is None or asking) and await remark_reply(update, context):
        async with services.db.session() as session:
            now = services.clock()
            await conversation.remember_update(session, chat.id, seen, safety_sent, now)
            if asking and safety is not None and isinstance(event, TextIn):
                await conversation.ask_safety_check(session, sender, safety, event.text, now)
        return
    async with services.db.session() as session:
        replies = await conversation.on_message(
            session, services, sender, event, safety=safety, incoming=seen, outgoing=safety_sent
        )
    await _send(context, chat.id, replies)
    # Only a card, alert or relay needs delivering now (most steps queue nothing).
    if conversation.queued_messages(session):
        services.dispatcher.kick(context.application)


async def _send_safety(
    context: HelplineContext, chat_id: int, result: Classification, lang: str
) -> int | None:
    """Sends the safety reply; returns its message id (for /wis), None when it failed."""
    text = safety_text(context.services.texts, result, lang)
    markup = None
    if result.risk == "possible":
        markup = reply_markup(Reply(text, check_buttons(context.services.texts, lang)))
    try:
        sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramError:
        logger.warning("safety reply to chat %s failed", chat_id, exc_info=True)
        return None
    return sent.message_id


async def _remember_incoming(services: Services, chat_id: int, message_ids: list[int]) -> None:
    """Records the incoming message's id in a transaction of its own (no other here)."""
    await chatlog.remember(
        services.db, chat_id=chat_id, message_ids=message_ids, outgoing=False, now=services.clock()
    )


async def _send(context: HelplineContext, chat_id: int, replies: tuple[Reply, ...]) -> None:
    """Sends the replies in order; a blocked chat is noted, not raised."""
    sent: list[int] = []
    for reply in replies:
        try:
            message_id = await send_retrying(context.bot, chat_id, reply.text, wire_markup(reply))
        except Forbidden:
            logger.info("chat %s has blocked the bot", chat_id)
            break
        except TelegramError:  # kept failing: the step is stored, the next message re-asks
            logger.warning("reply to chat %s failed", chat_id, exc_info=True)
            break
        sent.append(message_id)
    services = context.services
    # Written by the next transaction (any update's, or the dispatcher's within seconds),
    # not one of their own: the ids exist only now, after this update's commit.
    chatlog.remember_later(
        services.db, chat_id=chat_id, message_ids=sent, outgoing=True, now=services.clock()
    )
