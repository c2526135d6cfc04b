"""The first run from Telegram: the first admin registers with a one-time code, and
admins and coordinators link each queue's group with ``/koppel <queue>``.

The code is printed on the console by ``helpline setup`` and ``helpline run``
(``helpline.first_run``); it is sent in a private chat, never in a group, so no group
member sees it. ``/koppel`` is for registered admins and coordinators only, in a group.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from helpline.cases import setup
from helpline.cases.core import Services
from helpline.cases.queue_groups import queue_groups
from helpline.first_run import looks_like_code
from helpline.handlers.turn import CommandTurn, on_command
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)

LINK_COMMAND = "koppel"
GROUP_CHATS = (ChatType.GROUP, ChatType.SUPERGROUP)


async def refresh_queue_groups(update: Update, context: HelplineContext) -> None:
    """Before every update: the linked queue groups, read again when older than 5 s.

    A failed read keeps the copy already loaded: the update is still handled.
    """
    try:
        await queue_groups(context.services.db).refresh()
    except Exception:
        logger.warning("could not read the linked queue groups", exc_info=True)


async def refresh_queue_groups_hook(services: Services) -> int:
    """The same refresh on each dispatcher tick (reminders and escalations send too)."""
    await queue_groups(services.db).refresh()
    return 0


async def first_admin_start(update: Update, context: HelplineContext) -> None:
    """``/start <code>`` in a private chat while there is no admin: registers the sender
    as the first admin and points to the next step (``/koppel``).

    Any other ``/start`` (no code, or an admin exists) goes on to the resident's intake.
    """
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    args = context.args or []
    if message is None or user is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    if len(args) != 1 or not looks_like_code(args[0]):
        return
    services = context.services
    async with services.db.session() as session:
        reply = await setup.register_first_admin(
            session, services, user.id, args[0], user.full_name
        )
    if reply is None:
        return  # set up already: an ordinary /start
    await message.reply_text(reply)
    raise ApplicationHandlerStop


@on_command
async def link_command(turn: CommandTurn, context: HelplineContext) -> None:
    """``/koppel <queue>`` in a group: makes it that queue's group (admins and
    coordinators only), stored so a standby instance sends there too."""
    services, chat = turn.services, turn.chat
    async with services.db.session() as session:
        link = await setup.link_queue(
            session,
            services,
            turn.user.id,
            chat.id,
            in_group=chat.type in GROUP_CHATS,
            args=list(context.args or []),
        )
    reply = link.text
    if link.linked:
        reply = f"{reply}\n{await setup.link_summary(services)}"
    await turn.message.reply_text(reply)
