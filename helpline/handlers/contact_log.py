"""``/log``: record a contact on a request in two taps (a call made, a visit, an email).

What is listed, allowed and counted is ``helpline.cases.contact_log``; this edge reads
the command or the press and sends or edits what it returns.
"""

from __future__ import annotations

from flows.conversation import Callback
from helpline.cases import contact_log
from helpline.cases.answers import Popup
from helpline.handlers.turn import ButtonTurn, CommandTurn, on_button, on_command
from helpline.render import inline_markup
from helpline.safe_send import answer_query, edit_pressed
from helpline.services import HelplineContext

LOG_PATTERN = r"^log:[a-z_]{1,16}:\d{1,12}$"


@on_command
async def log_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Shows the requests I hold as buttons, to record a contact on one."""
    services = turn.services
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        text, buttons = await contact_log.pick_request(session, services, actor)
    await turn.message.reply_text(text, reply_markup=inline_markup(buttons) if buttons else None)


@on_button()
async def log_button(turn: ButtonTurn, press: Callback, context: HelplineContext) -> None:
    """First tap: which request; second tap: what kind of contact (stored at once)."""
    _, kind, raw_id = press
    services, query = turn.services, turn.query
    async with services.db.session() as session:
        answer = await contact_log.log_press(session, services, turn.user.id, int(raw_id), kind)
        if isinstance(answer, Popup):
            await answer_query(query, answer.text, alert=True)
            return
    await answer_query(query)
    text, buttons = answer
    # A second press of the same button changes nothing.
    await edit_pressed(query, text, inline_markup(buttons) if buttons else None)
