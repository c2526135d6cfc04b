"""The coordinators' approve/refuse buttons on an erasure approval card.

Who may decide and the decision itself are ``helpline.cases.erasure.press_on_card``
(its ``decide_erasure`` is the web page's too); this edge answers the press, marks the
card and finishes after the commit.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.error import TelegramError

from helpline.cases.erasure import after_decision, press_on_card
from helpline.safe_send import answer_query
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)


async def decide(
    update: Update, context: HelplineContext, erasure_id: int, *, approve: bool
) -> None:
    """A coordinator approves (erase now) or refuses (tell the resident) an erasure."""
    services, query, user = context.services, update.callback_query, update.effective_user
    assert query is not None and user is not None
    async with services.db.session() as session:
        press = await press_on_card(session, services, user.id, erasure_id, approve=approve)
    if press.popup is not None:
        await answer_query(query, press.popup, alert=True)
        return
    await answer_query(query)
    await _mark(query, press.line)
    await after_decision(services, context.bot, press.decision)
    services.dispatcher.kick(context.application)


async def _mark(query: CallbackQuery, line: str) -> None:
    """Appends the decision to the approval card and removes its buttons."""
    text = getattr(query.message, "text", "") or ""
    try:
        await query.edit_message_text(f"{text}\n\n{line}")
    except TelegramError:
        logger.info("could not edit the erasure card")
