"""``/nieuw``: staff register a phone call, walk-in or email on the resident's behalf.

The draft and each step are kept by ``helpline.cases.staff_intake``; this edge turns
the command, message or press into an input and sends the replies after the commit.
"""

from __future__ import annotations

from telegram import Update

from flows.conversation import Reply
from helpline.cases import staff_intake
from helpline.handlers.turn import CommandTurn, on_command
from helpline.render import reply_markup, to_input
from helpline.safe_send import answer_query
from helpline.services import HelplineContext

PI_PATTERN = r"^pi:[a-z_]{1,16}:[A-Za-z0-9_-]{1,40}$"


@on_command
async def new_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Starts a staff intake in the private chat (staff, coordinators and admins only)."""
    services, chat = turn.services, turn.chat
    async with services.db.session() as session:
        started = await staff_intake.start_staff_intake(
            session, services, turn.user.id, chat.id, private=chat.type == "private"
        )
        if isinstance(started, str):
            await turn.message.reply_text(started)
            return
    await _send(context, chat.id, started)


async def staff_intake_input(update: Update, context: HelplineContext) -> bool:
    """Feeds a staff member's message or button to their open staff intake; False if none."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return False
    services = context.services
    async with services.db.session() as session:
        opened = await staff_intake.open_staff_intake(session, user.id, chat.id)
        if opened is None:
            return False
        if update.callback_query is not None:
            await answer_query(update.callback_query)
        replies = await staff_intake.staff_intake_step(session, services, opened, to_input(update))
    await _send(context, chat.id, replies)
    services.dispatcher.kick(context.application)
    return True


async def _send(context: HelplineContext, chat_id: int, replies: tuple[Reply, ...]) -> None:
    for reply in replies:
        await context.bot.send_message(chat_id, reply.text, reply_markup=reply_markup(reply))
