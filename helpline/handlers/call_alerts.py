"""Closing a telefooncirkel alert: a coordinator picks what was done, then adds a note.

``cal:do:<alert>:<action>`` stores the action and asks for a note in the coordinator's
private chat; the typed note (see ``call_admin.prompt_input``) or ``cal:nonote:<alert>``
closes it, once. Who may, and what a press does, is decided in
``helpline.cases.circle_alerts``; this edge reads the press and answers it.
"""

from __future__ import annotations

from flows.calls import callbacks as cb
from helpline.cases import circle_alerts
from helpline.cases.answers import Popup
from helpline.cases.circle_alerts import Notice
from helpline.handlers.casework import reply_to_press
from helpline.handlers.turn import ButtonTurn, on_query
from helpline.safe_send import answer_query
from helpline.services import HelplineContext


@on_query
async def alert_button(turn: ButtonTurn, context: HelplineContext) -> None:
    """A coordinator closes a telefooncirkel alert: what was done, then a note (or none)."""
    services, query = turn.services, turn.query
    press = cb.parse(query.data)
    async with services.db.session() as session:
        answer = await circle_alerts.alert_press(
            session,
            services,
            turn.user.id,
            press.id if press else None,
            press.step if press else "",
            press.value if press else "",
        )
        if isinstance(answer, Popup):
            await answer_query(query, answer.text, alert=True)
            return
    if isinstance(answer, Notice):
        await answer_query(query, answer.text)
    else:
        await answer_query(query)
        await reply_to_press(query, answer, (), edit=True)
    services.dispatcher.kick(context.application)
