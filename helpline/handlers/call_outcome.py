"""The reminder's buttons — Gebeld, Niet bereikt, Verzetten, Nummer tonen — and the
resident's answers to their notice — Past niet, Geen herinneringen meer.

What a press does, and who may press, is decided in ``helpline.cases.reminder_presses``;
this edge reads the press, answers it with a popup or edits the pressed message.
"""

from __future__ import annotations

from telegram import Update

from flows.calls import callbacks as cb
from helpline.cases import reminder_presses
from helpline.cases.answers import Popup
from helpline.handlers.casework import reply_to_press
from helpline.handlers.turn import ButtonTurn
from helpline.safe_send import answer_query
from helpline.services import HelplineContext


async def outcome_press(turn: ButtonTurn, context: HelplineContext, press: cb.CallData) -> None:
    """Gebeld / Niet bereikt / Verzetten / Nummer tonen on a reminder."""
    services, query = turn.services, turn.query
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        answer = await reminder_presses.outcome_press(
            session, services, actor, press.id, press.step, press.value
        )
        if isinstance(answer, Popup):
            await answer_query(query, answer.text, alert=True)
            return
    await answer_query(query)
    await reply_to_press(query, answer[0], answer[1], edit=True)
    services.dispatcher.kick(context.application)


async def resident_call_button(update: Update, context: HelplineContext) -> None:
    """The resident answers a call notice: "Past niet" tells the assignee; or no more notices."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    services = context.services
    press = cb.parse(query.data)
    async with services.db.session() as session:
        reply = await reminder_presses.resident_press(
            session, services, user.id, press.id if press else None, press.step if press else ""
        )
        if isinstance(reply, Popup):
            await answer_query(query, reply.text, alert=True)
            return
    await answer_query(query)
    await reply_to_press(query, reply, (), edit=True)
    services.dispatcher.kick(context.application)
