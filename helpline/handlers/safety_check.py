"""The resident's answer to the check question asked when a message may mean danger.

"Ja" escalates the message as a crisis: the crisis reply with the numbers, the request
marked crisis in the coordinators' queue and their alert. "Nee, dat niet" thanks the
resident; the request stays urgent. The open question is taken from the database by one
statement, so a second press (or a press delivered again after a restart) changes
nothing. A "Ja" without an open question (pressed after "Nee", or a question whose row
was pruned) is still a crisis, unless the resident's open request already is one.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import TelegramError

from flows.safety import safety_text
from helpline.cases import intake
from helpline.cases.conversation import Sender, store_sender
from helpline.handlers.resident import language_of
from helpline.safe_send import answer_query
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import Resident

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
    t = services.texts
    yes = (query.data or "").startswith("risk:yes")
    async with services.db.session() as session:
        answered = await repo.take_safety_check(session=session, chat_id=chat.id)
        resident = await repo.get_resident_by_telegram_id(session=session, telegram_user_id=user.id)
        lang = resident.language if resident else language_of(update, services)
        line = answered.line if answered is not None else "suicide"
        result = services.classifier.classify(answered.text if answered else "")
        crisis = replace(
            result,
            urgency="crisis",
            risk="high",
            crisis=line,
            lines=tuple(dict.fromkeys((line, *result.lines))),
        )
        if yes and not await _already_crisis(session, resident, answered is not None):
            if resident is None:
                sender = Sender(chat.id, user.id, user.first_name, lang)
                resident = await store_sender(session, sender)
            draft = await repo.get_draft(session=session, chat_id=chat.id)
            draft = draft if draft is not None and draft.flow == "resident" else None
            message = answered.text if answered else t("risk_yes_note", services.staff_language)
            request = await intake.raise_crisis(
                session,
                services,
                resident=resident,
                text=message,
                result=crisis,
                draft_row=draft,
            )
            if draft is None:  # no intake will log this contact
                await intake.log_resident_message(session, services, request)
    text = safety_text(t, crisis, lang) if yes else t("risk_no", lang)
    try:
        await query.edit_message_reply_markup(None)  # the question is answered
    except TelegramError:
        logger.info("check question in chat %s kept its buttons", chat.id)
    try:
        await context.bot.send_message(chat.id, text)
    except TelegramError:
        logger.warning("answer to the check question in chat %s failed", chat.id, exc_info=True)
    services.dispatcher.kick(context.application)


async def _already_crisis(session: AsyncSession, resident: Resident | None, asked: bool) -> bool:
    """True when a "Ja" without an open question finds the crisis already raised."""
    if asked or resident is None or resident.id is None:
        return False
    request = await repo.latest_open_request(session=session, resident_id=resident.id)
    return request is not None and request.urgency == "crisis"
