"""``/staf``: a coordinator or admin lists staff, adds or removes them, or sets their queues.

The edge parses the command and finds the actor allowed ``manage_staff`` in the same
transaction; ``manage_staff`` does the change, audits it and returns the text to reply.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from flows.permissions import Role
from flows.staff_admin import StaffCommand
from helpline.cases import audit
from helpline.cases.access import Actor
from helpline.cases.audit import role_detail
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import AuditAction
from storage.models import Role as StoredRole

# The change to audit: what, the staff row, its role and queues.
Change = tuple[AuditAction, int | None, str, Sequence[str]]


async def manage_staff(
    session: AsyncSession, services: Services, actor: Actor, command: StaffCommand
) -> str:
    """Carries out a parsed ``/staf`` command for ``actor`` and returns the reply.

    Only an admin may make someone admin. Every change (added, removed, queues set) is
    audited with the staff row, role and queues, never a name; a list changes nothing.
    """
    t, lang = services.texts, services.staff_language
    if command.role is Role.admin and str(actor.staff.role) != "admin":
        return t("not_allowed", lang)
    changed: Change | None = None
    if command.action == "list":
        listed = await repo.list_staff(session=session)
        lines = [
            f"{s.telegram_user_id} · {s.name} · {s.role} · {', '.join(q) or '-'}" for s, q in listed
        ]
        reply = "\n".join(lines) or "-"
    elif command.action == "add":
        changed, reply = await _add(session, services, command)
    elif command.action == "remove":
        changed, reply = await _remove(session, services, command)
    else:
        changed, reply = await _set_queues(session, services, command)
    if changed is not None:
        action, staff_id, role, queues = changed
        await audit.record(
            session, services, actor.id, action, detail=role_detail(staff_id, role, queues)
        )
    return reply


async def _add(
    session: AsyncSession, services: Services, command: StaffCommand
) -> tuple[Change | None, str]:
    assert command.telegram_id and command.role and command.name
    try:
        added = await repo.add_staff(
            session=session,
            telegram_user_id=command.telegram_id,
            name=command.name,
            role=StoredRole(command.role.value),
            queues=list(command.queues),
        )
    except repo.StaffExistsError:
        text = services.texts(
            "staf_exists", services.staff_language, telegram_id=command.telegram_id
        )
        return None, text
    change = (AuditAction.role_add, added.id, str(command.role), command.queues)
    return change, f"✓ {command.name} ({command.role}) · {', '.join(command.queues) or '-'}"


async def _remove(
    session: AsyncSession, services: Services, command: StaffCommand
) -> tuple[Change | None, str]:
    assert command.telegram_id is not None
    target = await repo.get_staff(session=session, telegram_user_id=command.telegram_id)
    removed = await repo.remove_staff(session=session, telegram_user_id=command.telegram_id)
    change: Change | None = None
    if removed and target is not None:
        change = (AuditAction.role_remove, target.id, str(target.role), ())
    key = "staf_removed" if removed else "staf_not_found"
    return change, services.texts(key, services.staff_language, telegram_id=command.telegram_id)


async def _set_queues(
    session: AsyncSession, services: Services, command: StaffCommand
) -> tuple[Change | None, str]:
    assert command.telegram_id is not None
    target = await repo.get_staff(session=session, telegram_user_id=command.telegram_id)
    if target is None or target.id is None:
        text = services.texts(
            "staf_not_found", services.staff_language, telegram_id=command.telegram_id
        )
        return None, text
    await repo.set_queues(session=session, staff_id=target.id, queues=list(command.queues))
    change = (AuditAction.role_change, target.id, str(target.role), command.queues)
    return change, f"✓ {target.name} · {', '.join(command.queues) or '-'}"
