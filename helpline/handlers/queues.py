"""/wachtrij (/queue) and /mijn: what is waiting in my queues, and what I hold.

What is listed is ``helpline.cases.queue_view``; this edge checks who typed and sends.
"""

from __future__ import annotations

from helpline.cases import queue_view
from helpline.handlers.turn import CommandTurn, on_command
from helpline.render import inline_markup
from helpline.services import HelplineContext


@on_command
async def queue_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Lists open requests of my queues (all for coordinators), urgent first, with claim buttons."""
    services = turn.services
    async with services.db.session() as session:
        actor = await turn.actor(session, "view_queue", refusal="not_staff_command")
        if actor is None:
            return
        text, buttons = await queue_view.waiting(session, services, actor)
    await turn.message.reply_text(text, reply_markup=inline_markup(buttons) if buttons else None)


@on_command
async def mine_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Lists the requests I hold, each with its case buttons."""
    services = turn.services
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        answers = await queue_view.held(session, services, actor)
    for text, buttons in answers:
        await turn.message.reply_text(
            text, reply_markup=inline_markup(buttons) if buttons else None
        )
