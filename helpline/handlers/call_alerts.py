"""Closing a telefooncirkel alert: a coordinator picks what was done, then adds a note.

``cal:do:<alert>:<action>`` stores the action and asks for a note in the coordinator's
private chat; the typed note (see ``call_admin.prompt_input``) or ``cal:nonote:<alert>``
closes it, once. Only coordinators and admins may.
"""

from __future__ import annotations

from flows.calls import callbacks as cb
from flows.conversation import Button, markup_json
from helpline.cases import calls as callwork
from helpline.cases.access import actor_for
from helpline.cases.circle import close_alert
from helpline.handlers.casework import reply_to_press
from helpline.handlers.turn import ButtonTurn, on_query
from helpline.safe_send import answer_query
from helpline.services import HelplineContext
from storage import repository as repo


@on_query
async def alert_button(turn: ButtonTurn, context: HelplineContext) -> None:
    """A coordinator closes a telefooncirkel alert: what was done, then a note (or none)."""
    services, t, lang, query = turn.services, turn.t, turn.lang, turn.query
    press = cb.parse(query.data)
    async with services.db.session() as session:
        actor = await actor_for(session, turn.user.id)
        alert = await repo.get_alert(session=session, alert_id=press.id) if press else None
        if actor is None or press is None or not actor.may("close_call_alert"):
            await turn.popup("circle_not_coordinator")
            return
        if alert is None or alert.status != "open":
            await turn.popup("circle_already_closed")
            return
        actions = callwork.call_config(services).alert_actions
        if press.step == "do" and press.value in actions:
            alert.action = press.value
            await repo.set_prompt(
                session=session,
                staff_id=actor.id,
                kind="alert_note",
                target_id=alert.id or 0,
                now=services.clock(),
            )
            label = t(f"circle_action_{press.value}", lang)
            skip = ((Button(t("btn_circle_nonote", lang), cb.data("cal", "nonote", alert.id)),),)
            await repo.enqueue(
                session=session,
                now=services.clock(),
                chat_id=actor.staff.telegram_user_id,
                purpose="circle_note",
                text=t("circle_ask_note", lang, action=label),
                reply_markup=markup_json(skip),
            )
            answer = None
        elif press.step == "nonote" and alert.action:
            answer = await close_alert(session, services, actor, alert.id or 0, None)
        else:
            await turn.popup("claim_gone")
            return
    await answer_query(query, t("circle_see_private", lang) if answer is None else None)
    if answer is not None:
        await reply_to_press(query, answer, (), edit=True)
    services.dispatcher.kick(context.application)
