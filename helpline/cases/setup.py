"""The first run: the first admin registers with the one-time setup code, and admins
and coordinators link each queue's group (``/koppel <queue>``).

The edge checks that the code came in a private chat and ``/koppel`` names the chat it
was typed in; who may, what is stored and audited, and the reply are decided here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from flows.staff_admin import MAX_NAME, has_control_character
from helpline.cases import audit
from helpline.cases.access import actor_for
from helpline.cases.audit import role_detail
from helpline.cases.core import Services
from helpline.cases.queue_groups import queue_chats, queue_groups
from helpline.first_run import code_hash
from storage import repository as repo
from storage.models import AuditAction, Role

logger = logging.getLogger(__name__)

SHOWN_QUEUE = 40  # characters of a mistyped queue name repeated in the answer


def staff_name(profile_name: str) -> str:
    """A Telegram profile name as a staff name: one line, at most ``MAX_NAME``."""
    name = "".join(" " if has_control_character(ch) else ch for ch in profile_name)
    return " ".join(name.split())[:MAX_NAME] or "Admin"


async def register_first_admin(
    session: AsyncSession, services: Services, telegram_user_id: int, code: str, profile_name: str
) -> str | None:
    """Redeems the setup ``code`` and makes its sender the first admin; returns the reply.

    None when an admin exists already: then the code means nothing and the ``/start``
    is an ordinary one. A wrong or spent code gets its own reply and changes nothing.
    """
    t, lang = services.texts, services.staff_language
    if await repo.admin_exists(session=session):
        return None
    if not await repo.redeem_setup_code(
        session=session,
        code_hash=code_hash(code),
        telegram_user_id=telegram_user_id,
        now=services.clock(),
    ):
        return t("setup_code_invalid", lang)
    staff_id = await _make_admin(session, services, telegram_user_id, profile_name)
    logger.info("first admin registered with the setup code: staff %s", staff_id)
    return t("setup_admin_done", lang, queue=services.config.crisis_queue)


async def _make_admin(
    session: AsyncSession, services: Services, telegram_user_id: int, profile_name: str
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
            name=staff_name(profile_name),
            role=Role.admin,
            queues=queues,
        )
        assert added.id is not None
        staff_id, action = added.id, AuditAction.role_add
    await audit.record(
        session, services, staff_id, action, detail=role_detail(staff_id, Role.admin.value, queues)
    )
    return staff_id


@dataclass(frozen=True)
class QueueLink:
    """The answer to ``/koppel``; ``linked`` when the group was made a queue's group."""

    text: str
    linked: bool = False


async def link_queue(
    session: AsyncSession,
    services: Services,
    telegram_user_id: int,
    chat_id: int,
    *,
    in_group: bool,
    args: list[str],
) -> QueueLink:
    """Makes the group ``chat_id`` the group of the queue named in ``args``; audited.

    Who may (admins and coordinators) is decided first, so outsiders learn nothing
    about the queues; then it must be a group, one known queue, and not a queue whose
    group the settings fix. The link is stored so a standby instance sends there too.
    """
    t, lang, config = services.texts, services.staff_language, services.config
    known = ", ".join(config.queues)
    actor = await actor_for(session, telegram_user_id)
    if actor is None:
        return QueueLink(t("not_staff_command", lang))
    if not actor.may("manage_staff"):
        return QueueLink(t("leads_only", lang))
    if not in_group:
        return QueueLink(t("koppel_private", lang))
    if len(args) != 1:
        return QueueLink(t("koppel_usage", lang, example=config.crisis_queue, queues=known))
    queue = args[0].casefold()
    if queue not in config.queues:
        return QueueLink(t("koppel_unknown", lang, queue=args[0][:SHOWN_QUEUE], queues=known))
    if queue in services.settings.queue_chats:
        return QueueLink(t("koppel_fixed", lang, queue=config.queue_label(queue, lang)))
    await repo.link_queue_chat(
        session=session, queue=queue, chat_id=chat_id, staff_id=actor.id, now=services.clock()
    )
    await audit.record(
        session, services, actor.id, AuditAction.queue_link, detail=f"queue={queue} chat={chat_id}"
    )
    logger.info("queue %s linked to chat %s by staff %s", queue, chat_id, actor.id)
    return QueueLink(t("koppel_done", lang, queue=config.queue_label(queue, lang)), linked=True)


async def link_summary(services: Services) -> str:
    """After a committed link: reads the linked groups again and says, in one line,
    what the linking still leaves to do."""
    await queue_groups(services.db).refresh(force=True)
    t, lang, config = services.texts, services.staff_language, services.config
    linked = queue_chats(services)
    todo = [config.queue_label(q, lang) for q in config.queues if q not in linked]
    if not todo:
        return t("koppel_all_done", lang)
    fallback = config.queue_label(config.triage_queue, lang)
    return t("koppel_todo", lang, queues=", ".join(todo), fallback=fallback)
