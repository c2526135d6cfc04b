"""The first run from Telegram: the first admin registers with a one-time code, and
admins and coordinators link each queue's group with ``/koppel <queue>``.

The code is printed on the console by ``helpline setup`` and ``helpline run``
(``helpline.first_run``); it is sent in a private chat, never in a group, so no group
member sees it. ``/koppel`` is for registered admins and coordinators only, in a group.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from flows.staff_admin import MAX_NAME, has_control_character
from helpline.cases import audit
from helpline.cases.access import actor_for
from helpline.cases.audit import role_detail
from helpline.cases.core import Services
from helpline.cases.queue_groups import queue_chats, queue_groups
from helpline.first_run import code_hash, looks_like_code
from helpline.handlers.turn import CommandTurn, on_command
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import AuditAction, Role

logger = logging.getLogger(__name__)

LINK_COMMAND = "koppel"
GROUP_CHATS = (ChatType.GROUP, ChatType.SUPERGROUP)
SHOWN_QUEUE = 40  # characters of a mistyped queue name repeated in the answer


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


def _profile_name(update: Update) -> str:
    """The sender's Telegram name as a staff name: one line, at most ``MAX_NAME``."""
    user = update.effective_user
    name = user.full_name if user is not None else ""
    name = "".join(" " if has_control_character(ch) else ch for ch in name)
    return " ".join(name.split())[:MAX_NAME] or "Admin"


async def _make_admin(
    session: AsyncSession, services: Services, update: Update, telegram_user_id: int
) -> int:
    """Registers the sender as admin (or promotes them, if already staff); audited."""
    existing = await repo.get_staff(session=session, telegram_user_id=telegram_user_id)
    if existing is not None and existing.id is not None:
        staff_id = existing.id
        queues = await repo.staff_queues(session=session, staff_id=staff_id)
        await repo.edit_staff(session=session, telegram_user_id=telegram_user_id, role=Role.admin)
        action = AuditAction.role_change
    else:
        queues = [services.config.crisis_queue]
        added = await repo.add_staff(
            session=session,
            telegram_user_id=telegram_user_id,
            name=_profile_name(update),
            role=Role.admin,
            queues=queues,
        )
        assert added.id is not None
        staff_id, action = added.id, AuditAction.role_add
    await audit.record(
        session, services, staff_id, action, detail=role_detail(staff_id, Role.admin.value, queues)
    )
    return staff_id


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
    t, lang = services.texts, services.staff_language
    async with services.db.session() as session:
        if await repo.admin_exists(session=session):
            return  # set up already: an ordinary /start
        now = services.clock()
        if not await repo.redeem_setup_code(
            session=session, code_hash=code_hash(args[0]), telegram_user_id=user.id, now=now
        ):
            reply = t("setup_code_invalid", lang)
        else:
            staff_id = await _make_admin(session, services, update, user.id)
            logger.info("first admin registered with the setup code: staff %s", staff_id)
            reply = t("setup_admin_done", lang, queue=services.config.crisis_queue)
    await message.reply_text(reply)
    raise ApplicationHandlerStop


def _linked_summary(services: Services) -> str:
    """What the linking still leaves to do, in one line."""
    t, lang, config = services.texts, services.staff_language, services.config
    linked = queue_chats(services)
    todo = [config.queue_label(q, lang) for q in config.queues if q not in linked]
    if not todo:
        return t("koppel_all_done", lang)
    fallback = config.queue_label(config.triage_queue, lang)
    return t("koppel_todo", lang, queues=", ".join(todo), fallback=fallback)


@on_command
async def link_command(turn: CommandTurn, context: HelplineContext) -> None:
    """``/koppel <queue>`` in a group: makes it that queue's group (admins and
    coordinators only), stored so a standby instance sends there too."""
    services, t, lang, message, chat = turn.services, turn.t, turn.lang, turn.message, turn.chat
    config, args = services.config, context.args or []
    known = ", ".join(config.queues)
    linked = False
    async with services.db.session() as session:
        # Who may is decided first, so outsiders learn nothing about the queues.
        actor = await actor_for(session, turn.user.id)
        if actor is None:
            reply = t("not_staff_command", lang)
        elif not actor.may("manage_staff"):
            reply = t("leads_only", lang)
        elif chat.type not in GROUP_CHATS:
            reply = t("koppel_private", lang)
        elif len(args) != 1:
            reply = t("koppel_usage", lang, example=config.crisis_queue, queues=known)
        elif (queue := args[0].casefold()) not in config.queues:
            reply = t("koppel_unknown", lang, queue=args[0][:SHOWN_QUEUE], queues=known)
        elif queue in services.settings.queue_chats:
            reply = t("koppel_fixed", lang, queue=config.queue_label(queue, lang))
        else:
            await repo.link_queue_chat(
                session=session,
                queue=queue,
                chat_id=chat.id,
                staff_id=actor.id,
                now=services.clock(),
            )
            await audit.record(
                session,
                services,
                actor.id,
                AuditAction.queue_link,
                detail=f"queue={queue} chat={chat.id}",
            )
            logger.info("queue %s linked to chat %s by staff %s", queue, chat.id, actor.id)
            reply = t("koppel_done", lang, queue=config.queue_label(queue, lang))
            linked = True
    if linked:
        await queue_groups(services.db).refresh(force=True)
        reply = f"{reply}\n{_linked_summary(services)}"
    await message.reply_text(reply)
