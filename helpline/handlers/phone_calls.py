"""The buttons under an ended call: 📝 Nieuwe vraag and ℹ️ Alleen informatie (``tel:…:<id>``).

Only the one who answered the call can choose, once (the use case checks the call row).
The pressed message keeps its text and loses its buttons, so a second press cannot come.
"""

from __future__ import annotations

from telegram import Update

from flows.conversation import Reply
from helpline.cases.access import actor_for
from helpline.cases.phone_follow_up import info_only, new_request
from helpline.handlers.turn import button_turn
from helpline.render import reply_markup
from helpline.safe_send import answer_query, edit_pressed
from helpline.services import HelplineContext

PHONE_PATTERN = r"^tel:(new|info):\d{1,12}$"


async def phone_call_button(update: Update, context: HelplineContext) -> None:
    """Records what the call was; 📝 then asks the first open question of the staff intake."""
    pressed = await button_turn(update, context)
    if pressed is None:
        return
    turn, (_, choice, raw_id) = pressed
    services, t, lang, query = turn.services, turn.t, turn.lang, turn.query
    chat = update.effective_chat
    async with services.db.session() as session:
        actor = await actor_for(session, turn.user.id)
        if actor is None or chat is None or chat.type != "private":
            await answer_query(query, t("not_allowed", lang), alert=True)
            return
        if not actor.may("call_follow_up"):
            await answer_query(query, t("not_for_volunteers", lang), alert=True)
            return
        await answer_query(query)
        replies: tuple[Reply, ...] = ()
        note: str | None = None
        if choice == "info":
            note = await info_only(session, services, actor=actor, phone_call_id=int(raw_id))
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
