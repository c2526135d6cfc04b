"""The coordinators' approve/refuse buttons on an erasure approval card.

The decision itself is ``helpline.cases.erasure.decide_erasure`` (the web page's too);
this edge checks who pressed, marks the card and finishes after the commit.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.error import TelegramError

from helpline.cases.access import actor_for
from helpline.cases.erasure import COORDINATORS, after_decision, decide_erasure
from helpline.safe_send import answer_query
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)


async def decide(
    update: Update, context: HelplineContext, erasure_id: int, *, approve: bool
) -> None:
    """A coordinator approves (erase now) or refuses (tell the resident) an erasure."""
    services, query, user = context.services, update.callback_query, update.effective_user
    assert query is not None and user is not None
    t, lang = services.texts, services.staff_language
    async with services.db.session() as session:
        actor = await actor_for(session, user.id)
        if actor is None or actor.staff.role not in COORDINATORS:
            await answer_query(query, t("pv_not_coordinator", lang), alert=True)
            return
        name = actor.staff.name  # erasure expires the session's rows
        decision = await decide_erasure(session, services, actor, erasure_id, approve=approve)
    if not decision.decided:
        await answer_query(query, t("pv_already_decided", lang), alert=True)
        return
    await answer_query(query)
    verdict = "pv_approved_by" if approve else "pv_refused_by"
    await _mark(query, t(verdict, lang, staff=name))
    await after_decision(services, context.bot, decision)
    services.dispatcher.kick(context.application)


async def _mark(query: CallbackQuery, line: str) -> None:
    """Appends the decision to the approval card and removes its buttons."""
    text = getattr(query.message, "text", "") or ""
    try:
        await query.edit_message_text(f"{text}\n\n{line}")
    except TelegramError:
        logger.info("could not edit the erasure card")
