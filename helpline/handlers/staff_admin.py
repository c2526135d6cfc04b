"""``/staf``: coordinators manage staff, roles and queues from Telegram."""

from __future__ import annotations

from flows.staff_admin import StaffCommandError, parse_staff_command
from helpline.cases import staff_admin
from helpline.handlers.turn import CommandTurn, on_command
from helpline.services import HelplineContext


@on_command
async def staff_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Lists, adds or removes staff, or sets their queues (coordinators and admins only)."""
    services, message = turn.services, turn.message
    async with services.db.session() as session:
        actor = await turn.actor(session, "manage_staff")
        if actor is None:
            return
        # The text as typed, so that a line break in a name is refused, not folded away.
        typed = (message.text or "").split(None, 1)
        try:
            command = parse_staff_command(
                list(context.args or []),
                set(services.config.queues),
                text=typed[1] if len(typed) > 1 else "",
            )
        except StaffCommandError as exc:
            await turn.reply(exc.key, **exc.values)
            return
        reply = await staff_admin.manage_staff(session, services, actor, command)
    await message.reply_text(reply)
