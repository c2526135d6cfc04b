"""Warm handover: the holder picks a queue, optionally a person, records the basis for sharing,
writes a note; the receiver accepts or declines. The holder keeps the request until someone
accepts.

A handover always goes to another team, so it shares the resident's details: the holder
records the resident's consent, or — only when someone's safety is at stake — a safety
override with a typed reason (``handover_consent``). Without either, nothing is sent.

Steps: ``case:ho_<queue>:<request>`` (from the case buttons) → ``hd:to_<staff|any>:<handover>``
→ ``hd:consent|safety|stop:<handover>`` (safety: a typed reason) → a typed note or
``hd:nonote:<handover>`` → ``ho:accept|decline:<handover>``.

Each step re-checks, at the moment of the press or the typed text, that the holder may
hand over and still holds the request (``may_go_on``); a draft its writer no longer
holds is cancelled. Sending and deciding are conditional updates on that same state, so
a handover never outlives its holder's claim: once the request is released, closed,
erased or claimed by someone else, the handover cannot be sent or accepted.

What each press may do and does is ``helpline.cases.handover_draft.draft_press`` and
``helpline.cases.handover.decide``; this edge answers the press and edits the message.
"""

from __future__ import annotations

import logging

from flows.conversation import Callback
from helpline.cases import handover
from helpline.cases.answers import Popup
from helpline.cases.handover_draft import draft_press
from helpline.handlers.turn import ButtonTurn, on_button
from helpline.render import inline_markup
from helpline.safe_send import answer_query, edit_pressed
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)

HANDOVER_PATTERN = r"^ho:(accept|decline):\d{1,12}$"
TARGET_PATTERN = r"^hd:(to_any|to_\d{1,12}|nonote|consent|safety|stop):\d{1,12}$"


@on_button()
async def target_button(turn: ButtonTurn, press: Callback, context: HelplineContext) -> None:
    """Stores the chosen person and asks for the basis; the basis, then a note; or sends."""
    _, step, raw_id = press
    services, query = turn.services, turn.query
    async with services.db.session() as session:
        answer = await draft_press(session, services, turn.user.id, int(raw_id), step)
        if isinstance(answer, Popup):
            await answer_query(query, answer.text, alert=True)
            return
    await answer_query(query)
    text, buttons = answer
    await edit_pressed(query, text, inline_markup(buttons) if buttons else None)
    services.dispatcher.kick(context.application)


@on_button()
async def handover_button(turn: ButtonTurn, press: Callback, context: HelplineContext) -> None:
    """Accept or decline a warm handover; the first decision wins."""
    services, query = turn.services, turn.query
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        answer = await handover.decide(
            session, services, actor, int(press.value), accept=press.action == "accept"
        )
        if isinstance(answer, Popup):
            await answer_query(query, answer.text, alert=True)
            return
    text = (query.message.text if query.message and hasattr(query.message, "text") else "") or ""
    await answer_query(query, answer.popup, alert=answer.popup is not None)
    if answer.line is not None:
        await edit_pressed(query, text + answer.line)
    if answer.decided:
        services.dispatcher.kick(context.application)
