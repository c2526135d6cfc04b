"""The buttons under an ended call: 📝 Nieuwe vraag, 🔗 Bij HH-… and ℹ️ Alleen informatie
(``tel:new|info|link_<request id>:<call id>``), and after ℹ️ the topic
(``tel:cat_<category>:<call id>``).

Only the one who answered the call can choose, once (the use case checks the call row).
The pressed message keeps its text and loses its buttons, so a second press cannot come.
"""

from __future__ import annotations

import logging

from flows.call_pop import LINK_PREFIX, TOPIC_PREFIX
from flows.conversation import Callback, Reply
from helpline.cases.access import actor_for
from helpline.cases.phone_follow_up import info_only, info_topic, link_to_request, new_request
from helpline.cases.phone_upkeep import run_phone_upkeep
from helpline.handlers.turn import ButtonTurn, on_button
from helpline.render import reply_markup
from helpline.safe_send import answer_query, edit_pressed
from helpline.screen_pops import edit_pops
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)

UPKEEP_INTERVAL = 60.0  # seconds between looks for stale calls and due reminders
PHONE_PATTERN = r"^tel:(new|info|link_\d{1,12}|cat_[a-z0-9_]{1,40}):\d{1,12}$"


@on_button()
async def phone_call_button(turn: ButtonTurn, press: Callback, context: HelplineContext) -> None:
    """Records what the call was; 📝 then asks the first open question of the staff intake."""
    _, choice, raw_id = press
    services, query, chat = turn.services, turn.query, turn.chat
    async with services.db.session() as session:
        actor = await actor_for(session, turn.user.id)
        if actor is None or chat is None or chat.type != "private":
            await turn.popup("not_allowed")
            return
        if not actor.may("call_follow_up"):
            await turn.popup("not_for_volunteers")
            return
        await answer_query(query)
        replies: tuple[Reply, ...] = ()
        note: str | None = None
        if choice == "info":
            replies = (await info_only(session, services, actor=actor, phone_call_id=int(raw_id)),)
        elif choice.startswith(TOPIC_PREFIX):
            note = await info_topic(
                session,
                services,
                actor=actor,
                phone_call_id=int(raw_id),
                category=choice.removeprefix(TOPIC_PREFIX),
            )
        elif choice.startswith(LINK_PREFIX):
            note = await link_to_request(
                session,
                services,
                actor=actor,
                phone_call_id=int(raw_id),
                request_id=int(choice.removeprefix(LINK_PREFIX)),
            )
        else:
            replies = await new_request(
                session, services, actor=actor, phone_call_id=int(raw_id), chat_id=chat.id
            )
    message = query.message
    text = getattr(message, "text", None)
    if text:
        await edit_pressed(query, text)  # the choice is made: the buttons go
    if note is not None:
        await context.bot.send_message(chat.id, note)
    for reply in replies:
        await context.bot.send_message(chat.id, reply.text, reply_markup=reply_markup(reply))


async def phone_upkeep_job(context: HelplineContext) -> None:
    """The JobQueue callback: closes stale calls, sends due reminders, edits their pops."""
    try:
        outcome = await run_phone_upkeep(context.services)
    except Exception:
        logger.exception("phone upkeep failed; it is tried again at the next run")
        return
    if outcome.reminded:
        context.services.dispatcher.kick(context.application)
    if outcome.edits:
        await edit_pops(context.application, outcome.edits)
