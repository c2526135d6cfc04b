"""The satisfaction survey in Telegram: the answers to the question asked once after a
request is resolved (``helpline.cases.survey.ask_satisfaction`` puts it in the outbox).

``survey_button`` stores the resident's answer — only for
their own resolved request, only once — and, after a grade, invites an optional remark
as a reply to that invitation (``ForceReply``). ``remark_reply`` recognises such a reply
by the reference in the invitation, so no conversation state is needed: a message that
is not a reply to it is handled as usual and never lost as a "remark".
"""

from __future__ import annotations

import logging
import re

from telegram import ForceReply, Message, Update
from telegram.error import TelegramError

from flows.satisfaction import parse_survey_callback, survey_answer_text
from helpline.cases.core import Services
from helpline.safe_send import answer_query
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import RequestStatus
from storage.repository import satisfaction
from storage.repository.requests import get_request_by_reference

logger = logging.getLogger(__name__)


async def survey_button(update: Update, context: HelplineContext) -> None:
    """Stores a grade or "Liever niet" for the presser's own resolved request."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    services = context.services
    texts = services.texts
    answer = parse_survey_callback(query.data or "")
    async with services.db.session() as session:
        resident = await repo.get_resident_by_telegram_id(session=session, telegram_user_id=user.id)
        lang = resident.language if resident else services.settings.default_language
        request = (
            await repo.get_request(session=session, request_id=answer.request_id)
            if answer is not None and answer.request_id is not None
            else None
        )
        if (
            answer is None
            or resident is None
            or request is None
            or request.resident_id != resident.id
            or request.status != RequestStatus.resolved
        ):
            # Forged, stale or someone else's button: nothing stored, nothing shown.
            await answer_query(query, texts("survey_not_available", lang), alert=True)
            return
        now = services.clock()
        if answer.grade is None:
            stored = await satisfaction.opt_out(
                session=session, request_id=request.id or 0, now=now
            )
        else:
            stored = await satisfaction.record_grade(
                session=session, request_id=request.id or 0, grade=answer.grade, now=now
            )
    text = survey_answer_text(texts, answer=answer, stored=stored, lang=lang)
    await answer_query(query)
    try:
        await query.edit_message_reply_markup(None)  # the buttons cannot be pressed twice
    except TelegramError:
        logger.debug("survey buttons not removed", exc_info=True)
    await _send(context, user.id, text)
    if stored and answer.grade is not None:
        invitation = texts("survey_remark_prompt", lang, reference=request.reference)
        placeholder = texts("survey_remark_placeholder", lang)
        await _send(context, user.id, invitation, ForceReply(input_field_placeholder=placeholder))
    logger.info("survey answer for request %s (stored: %s)", request.id, stored)


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
        resident = await repo.get_resident_by_telegram_id(session=session, telegram_user_id=user.id)
        request = await get_request_by_reference(session=session, reference=reference)
        if resident is None or request is None or request.resident_id != resident.id:
            return False
        stored = await satisfaction.add_remark(
            session=session, request_id=request.id or 0, remark=message.text
        )
    key = "survey_remark_thanks" if stored else "survey_already_answered"
    await _send(context, user.id, services.texts(key, resident.language))
    logger.info("survey remark for request %s (stored: %s)", request.id, stored)
    return True


def _invited_reference(services: Services, message: Message) -> str | None:
    """The reference of the remark invitation this message replies to, if it is one."""
    original = message.reply_to_message
    if original is None or original.from_user is None or not original.from_user.is_bot:
        return None
    prefix = re.escape(services.config.organisation.reference_prefix)
    found = re.search(rf"\b{prefix}-\d{{4}}-\d{{5}}\b", original.text or "")
    if found is None:
        return None
    texts = services.texts
    invitations = {
        texts("survey_remark_prompt", lang, reference=found.group()) for lang in ("nl", "en")
    }
    return found.group() if original.text in invitations else None


async def _send(
    context: HelplineContext, chat_id: int, text: str, markup: ForceReply | None = None
) -> None:
    try:
        await context.bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramError:
        logger.warning("survey message to chat %s failed", chat_id, exc_info=True)
