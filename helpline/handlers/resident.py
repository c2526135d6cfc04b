"""Residents in their private chat: the intake, crisis replies and later messages.

One update = one transaction: load the draft, run the pure step, store the result,
commit, then send. A crisis reply goes out first, before anything else happens.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import Forbidden, TelegramError

from flows.conversation import CommandIn, Input, Reply, TextIn
from flows.safety import check_buttons, has_urgent_text, safety_text
from flows.triage import Classification
from helpline.cases import chatlog, conversation
from helpline.cases import intake as intake_case
from helpline.cases.core import Services
from helpline.handlers import quick_exit
from helpline.handlers.survey import remark_reply
from helpline.render import reply_markup, to_input
from helpline.safe_send import answer_query, send_retrying
from helpline.services import HelplineContext
from storage import repository as repo
from storage.repository.chat_messages import defer_messages

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
    safety = _safety_check(services, event)
    crisis = safety if safety is not None and safety.urgency == "crisis" else None
    safety_sent: list[int] = []
    if safety is not None:
        sent = await _send_safety(context, chat.id, safety, language_of(update, services))
        safety_sent = [sent] if sent is not None else []
    asking = safety is not None and safety.risk == "possible"
    # A remark for the satisfaction survey is kept, also when the line asks about it.
    if (safety is None or asking) and await remark_reply(update, context):
        async with services.db.session() as session:
            now = services.clock()
            await _remember_both(session, chat.id, seen, safety_sent, now)
            if asking and safety is not None and isinstance(event, TextIn):
                await _ask(session, chat.id, user.id, safety, event.text, now)
        return

    replies: tuple[Reply, ...]
    async with services.db.session() as session:
        now = services.clock()
        await _remember_both(session, chat.id, seen, safety_sent, now)
        row = await repo.load_draft_row(session=session, chat_id=chat.id)
        # A running intake step needs no resident row (most updates): one query less.
        resident = (
            await repo.get_resident_by_telegram_id(session=session, telegram_user_id=user.id)
            if row is None or crisis is not None
            else None
        )
        if crisis is not None and isinstance(event, TextIn):
            if resident is None:
                resident = await repo.upsert_telegram_resident(
                    session=session,
                    telegram_user_id=user.id,
                    chat_id=chat.id,
                    first_name=user.first_name,
                    language=language_of(update, services),
                )
            await intake_case.raise_crisis(
                session, services, resident=resident, text=event.text, result=crisis, draft_row=row
            )
        elif safety is not None:  # urgent: shown first in the queues
            await conversation.mark_urgent(session, services, row, resident)
            if asking and isinstance(event, TextIn):
                await _ask(session, chat.id, user.id, safety, event.text, now)
        if row is not None and row.flow != "resident":
            # A staff member's own /nieuw draft: an old or forged button in their private
            # chat is not a resident's intake step.
            replies = (Reply(services.texts("claim_gone", services.staff_language)),)
        elif row is None:
            sender = conversation.Sender(
                chat.id, user.id, user.first_name, language_of(update, services)
            )
            replies = await conversation.outside_intake(session, services, sender, event, resident)
        else:
            replies = await conversation.intake_step(session, services, row, event)
        if row is not None:  # what the crisis, urgency or step changed (if not deleted)
            await repo.update_draft_row(session=session, row=row)
    await _send(context, chat.id, replies)
    # Only a card, alert or relay needs delivering now (most steps queue nothing).
    if repo.queued_messages(session=session):
        services.dispatcher.kick(context.application)


def _safety_check(services: Services, event: Input) -> Classification | None:
    """Safety detection on every text the resident sends, at any step: a crisis, a
    possible danger (the resident is asked), or an urgent message with a safety line of
    its own (domestic violence: Veilig Thuis)."""
    if not isinstance(event, TextIn):
        return None
    result = services.classifier.classify(event.text)
    if result.risk != "none":
        return result
    if result.urgency == "crisis" or (result.urgency == "urgent" and has_urgent_text(result)):
        return result
    return None


async def _ask(
    session: AsyncSession,
    chat_id: int,
    user_id: int,
    result: Classification,
    text: str,
    now: datetime,
) -> None:
    """Keeps the message behind a check question: "Ja" escalates it as a crisis."""
    line = result.crisis or "suicide"
    await repo.ask_safety_check(
        session=session, chat_id=chat_id, user_id=user_id, line=line, text=text, now=now
    )


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


async def _remember_both(
    session: AsyncSession, chat_id: int, incoming: list[int], outgoing: list[int], now: datetime
) -> None:
    """Records the message ids of this update, for /wis, in the update's transaction."""
    await chatlog.remember_in(
        session, chat_id=chat_id, message_ids=incoming, outgoing=False, now=now
    )
    await chatlog.remember_in(
        session, chat_id=chat_id, message_ids=outgoing, outgoing=True, now=now
    )


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
            message = await send_retrying(context.bot, chat_id, reply.text, reply_markup(reply))
        except Forbidden:
            logger.info("chat %s has blocked the bot", chat_id)
            break
        except TelegramError:  # kept failing: the step is stored, the next message re-asks
            logger.warning("reply to chat %s failed", chat_id, exc_info=True)
            break
        sent.append(message.message_id)
    services = context.services
    # Written by the next transaction (any update's, or the dispatcher's within seconds),
    # not one of their own: the ids exist only now, after this update's commit.
    defer_messages(
        services.db, chat_id=chat_id, message_ids=sent, outgoing=True, now=services.clock()
    )
