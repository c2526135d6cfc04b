"""/rooster: coordinators and admins read and change who answers the phone when.

``/rooster`` shows the weekly shifts, the coming exceptions and this week's uncovered
opening hours. Changes, one per command (see ``flows.rota.parse_command``):
``/rooster plus Sanne ma 09:00-12:00``, ``/rooster min Sanne ma 09:00-12:00``,
``/rooster vrij Sanne 24-12`` (or with a time range), ``/rooster extra Kees 27-12
09:00-12:00``, ``/rooster min Kees 27-12`` (that date's exceptions go). Bad input gets
one line saying what to type. The answer names staff, never residents: it may be
given in a group too.
"""

from __future__ import annotations

import logging

from flows.rota import RotaAction, RotaInputError, parse_command
from helpline.cases.rota import change, run_week_report, show
from helpline.handlers.turn import CommandTurn, on_command
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)

ROTA_COMMANDS = ["rooster", "rota"]
WEEK_CHECK_INTERVAL = 600.0  # seconds between "is the weekly list due?" checks


@on_command
async def rota_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Checks the sender is a coordinator or admin, then shows or changes the rota."""
    services, lang, message = turn.services, turn.lang, turn.message
    now = services.clock()
    async with services.db.session() as session:
        actor = await turn.actor(session, "manage_rota")
        if actor is None:
            return
        try:
            command = parse_command(
                list(context.args or []), now.astimezone(services.settings.zone).date()
            )
        except RotaInputError as bad:
            await turn.reply(bad.key)
            return
        if command.action is RotaAction.show:
            answer = await show(session, services, lang, now)
        else:
            answer = await change(session, services, lang, command, now)
    await message.reply_text(answer)


async def rota_week_job(context: HelplineContext) -> None:
    """The JobQueue callback: the weekly list of uncovered hours, when due."""
    try:
        if await run_week_report(context.services):
            context.services.dispatcher.kick(context.application)
    except Exception:
        logger.exception("rota week report failed; it is tried again at the next check")
