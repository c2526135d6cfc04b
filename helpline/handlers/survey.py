"""The satisfaction survey in Telegram: the answers to the question asked once after a
request is resolved (``helpline.cases.survey.ask_satisfaction`` puts it in the outbox).

``survey_button`` stores the resident's answer and, after a grade, invites an optional
remark as a reply to that invitation (``ForceReply``). ``remark_reply`` recognises such
a reply by the reference in the invitation, so no conversation state is needed: a
message that is not a reply to it is handled as usual and never lost as a "remark".
What is stored and said is ``helpline.cases.survey``; this edge reads and sends.
"""

from __future__ import annotations

import logging

from telegram import ForceReply, Message, Update
from telegram.error import TelegramError

from flows.satisfaction import parse_survey_callback
from helpline.cases import survey
from helpline.cases.core import Services
from helpline.safe_send import answer_query
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)


async def survey_button(update: Update, context: HelplineContext) -> None:
    """Stores a grade or "Liever niet" for the presser's own resolved request."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    services = context.services
    answer = parse_survey_callback(query.data or "")
    async with services.db.session() as session:
        reply = await survey.answer_survey(session, services, user.id, answer)
    if reply.refusal is not None:
        await answer_query(query, reply.refusal, alert=True)
        return
    await answer_query(query)
    try:
        await query.edit_message_reply_markup(None)  # the buttons cannot be pressed twice
    except TelegramError:
        logger.debug("survey buttons not removed", exc_info=True)
    await _send(context, user.id, reply.text)
    if reply.invitation is not None:
        placeholder = ForceReply(input_field_placeholder=reply.placeholder)
        await _send(context, user.id, reply.invitation, placeholder)
    logger.info("survey answer for request %s (stored: %s)", reply.request_id, reply.stored)


async def remark_reply(update: Update, context: HelplineContext) -> bool:
    """Stores a resident's reply to the remark invitation; False when it is not one."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return False
    services = context.services
    reference = _invited_reference(services, message)
    if reference is None:
        return False
    async with services.db.session() as session:
        reply = await survey.add_remark(session, services, user.id, reference, message.text)
    if reply is None:
        return False
    await _send(context, user.id, reply.text)
    logger.info("survey remark for request %s (stored: %s)", reply.request_id, reply.stored)
    return True


def _invited_reference(services: Services, message: Message) -> str | None:
    """The reference of the remark invitation this message replies to, if it is one."""
    original = message.reply_to_message
    if original is None or original.from_user is None or not original.from_user.is_bot:
        return None
    return survey.invited_reference(services, original.text or "")


async def _send(
    context: HelplineContext, chat_id: int, text: str, markup: ForceReply | None = None
) -> None:
    try:
        await context.bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramError:
        logger.warning("survey message to chat %s failed", chat_id, exc_info=True)
