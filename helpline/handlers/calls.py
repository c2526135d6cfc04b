"""Planning a follow-up call from the case chat: quick picks, a typed time or ``/plan``.

``call:new:<request>`` shows the quick picks; a pick (or typed time) makes a draft call
whose summary offers Herhalen, Wie belt, the assignee's first free slot and the
resident's reminder; ``call:ok:<call>`` schedules it. What each step does, and who may
take it, is decided in ``helpline.cases.call_planning``; this edge reads the command or
press and sends the answer. Outcome presses on a reminder go to ``call_outcome``.
"""

from __future__ import annotations

from flows.calls import callbacks as cb
from helpline.cases import call_planning
from helpline.cases.answers import Popup
from helpline.cases.reminder_presses import OUTCOME_STEPS
from helpline.handlers.call_outcome import outcome_press
from helpline.handlers.casework import reply_to_press
from helpline.handlers.turn import ButtonTurn, CommandTurn, on_command, on_query
from helpline.render import inline_markup
from helpline.safe_send import answer_query
from helpline.services import HelplineContext

PLAN_COMMANDS = ["plan"]


@on_command
async def plan_command(turn: CommandTurn, context: HelplineContext) -> None:
    """``/plan [reference] [when]``: picks a request, then a time, then shows the draft."""
    services, message = turn.services, turn.message
    words = (message.text or "").split(maxsplit=2)[1:]
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        text, buttons = await call_planning.plan(session, services, actor, words)
    await message.reply_text(text, reply_markup=inline_markup(buttons) if buttons else None)


@on_query
async def call_button(turn: ButtonTurn, context: HelplineContext) -> None:
    """Handles every ``call:`` press: planning steps here, outcomes in ``call_outcome``."""
    services, query = turn.services, turn.query
    press = cb.parse(query.data)
    if press is None or press.namespace != "call":
        await turn.popup("claim_gone")
        return
    if press.step in OUTCOME_STEPS:
        await outcome_press(turn, context, press)
        return
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        answer = await call_planning.plan_press(
            session, services, actor, press.id, press.step, press.value
        )
        if isinstance(answer, Popup):
            await answer_query(query, answer.text, alert=True)
            return
    await answer_query(query)
    text, buttons = answer
    await reply_to_press(query, text, buttons, edit=press.step not in ("new",))
    services.dispatcher.kick(context.application)
