"""The holder's case buttons: write to the resident, resolve, release, warm handover.

Callback data is ``case:<step>:<request id>`` (``case:out_doorverwezen:42``). Every
press re-checks the presser's role and relation to the request in the database; a
refusal reveals nothing. What a press may do and does is ``helpline.cases.casework``;
this edge answers the press, sends the reply, and asks the provider to ring for a
Bel nu once the dial is committed.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery
from telegram.error import TelegramError

from flows.conversation import Button, Callback
from helpline.cases.answers import Popup
from helpline.cases.casework import Ring, case_press
from helpline.cases.core import Services
from helpline.cases.dial import DialStart, dial_failed
from helpline.handlers.turn import ButtonTurn, on_button
from helpline.phone_dial import DialError, request_call
from helpline.render import inline_markup
from helpline.safe_send import answer_query
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)

CASE_PATTERN = r"^case:[a-z_]{1,32}:\d{1,12}$"


@on_button(alert=False)
async def case_button(turn: ButtonTurn, press: Callback, context: HelplineContext) -> None:
    """Handles a press on one of the holder's case buttons."""
    _, step, raw_id = press
    services, query = turn.services, turn.query
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        answer = await case_press(session, services, actor, int(raw_id), step)
        if isinstance(answer, Popup):
            await answer_query(query, answer.text, alert=True)
            return
    if isinstance(answer, Ring):  # after the commit: the dial is on record before the phone rings
        await _ring(query, services, answer.start)
        return
    await answer_query(query)
    text, buttons = answer
    await reply_to_press(query, text, buttons)
    services.dispatcher.kick(context.application)


async def _ring(query: CallbackQuery, services: Services, start: DialStart | str) -> None:
    """Asks the provider to ring; the staff member hears what happens next, or why not."""
    t, lang = services.texts, services.staff_language
    if isinstance(start, str):
        await answer_query(query, start, alert=True)
        return
    try:
        await request_call(services.settings, extension=start.extension, number=start.number)
    except DialError as exc:
        await dial_failed(services, start.dial_id)
        logger.warning("click-to-dial for %s failed: %s", start.reference, exc)
        await answer_query(query, t("dial_failed", lang), alert=True)
        return
    await answer_query(
        query,
        t(
            "dial_started",
            lang,
            extension=start.extension,
            first_name=start.first_name,
            reference=start.reference,
        ),
        alert=True,
    )


async def reply_to_press(
    query: CallbackQuery, text: str, buttons: tuple[tuple[Button, ...], ...], edit: bool = False
) -> None:
    """Answers a case button in place: a new message, or an edit of the pressed one."""
    markup = inline_markup(buttons) if buttons else None
    try:
        if edit:
            await query.edit_message_text(text, reply_markup=markup)
        elif query.message is not None:
            await query.get_bot().send_message(query.message.chat.id, text, reply_markup=markup)
    except TelegramError:
        logger.warning("case reply failed", exc_info=True)
