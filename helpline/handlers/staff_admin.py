"""``/staf``: coordinators manage staff, roles and queues from Telegram."""

from __future__ import annotations

from collections.abc import Sequence

from flows.permissions import Role
from flows.staff_admin import StaffCommandError, parse_staff_command
from helpline.cases import audit
from helpline.cases.audit import role_detail
from helpline.handlers.turn import CommandTurn, on_command
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import AuditAction
from storage.models import Role as StoredRole


@on_command
async def staff_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Lists, adds or removes staff, or sets their queues (coordinators and admins only)."""
    services, t, lang, message = turn.services, turn.t, turn.lang, turn.message
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
        if command.role is Role.admin and str(actor.staff.role) != "admin":
            await turn.reply("not_allowed")
            return
        # The change to audit: what, the staff row, its role and queues.
        changed: tuple[AuditAction, int | None, str, Sequence[str]] | None = None
        if command.action == "list":
            listed = await repo.list_staff(session=session)
            lines = [
                f"{s.telegram_user_id} · {s.name} · {s.role} · {', '.join(q) or '-'}"
                for s, q in listed
            ]
            reply = "\n".join(lines) or "-"
        elif command.action == "add":
            assert command.telegram_id and command.role and command.name
            try:
                added = await repo.add_staff(
                    session=session,
                    telegram_user_id=command.telegram_id,
                    name=command.name,
                    role=StoredRole(command.role.value),
                    queues=list(command.queues),
                )
                changed = (AuditAction.role_add, added.id, str(command.role), command.queues)
                reply = f"✓ {command.name} ({command.role}) · {', '.join(command.queues) or '-'}"
            except repo.StaffExistsError:
                reply = t("staf_exists", lang, telegram_id=command.telegram_id)
        elif command.action == "remove":
            assert command.telegram_id is not None
            target = await repo.get_staff(session=session, telegram_user_id=command.telegram_id)
            removed = await repo.remove_staff(session=session, telegram_user_id=command.telegram_id)
            if removed and target is not None:
                changed = (AuditAction.role_remove, target.id, str(target.role), ())
            reply = t(
                "staf_removed" if removed else "staf_not_found",
                lang,
                telegram_id=command.telegram_id,
            )
        else:
            assert command.telegram_id is not None
            target = await repo.get_staff(session=session, telegram_user_id=command.telegram_id)
            if target is None or target.id is None:
                reply = t("staf_not_found", lang, telegram_id=command.telegram_id)
            else:
                await repo.set_queues(
                    session=session, staff_id=target.id, queues=list(command.queues)
                )
                changed = (AuditAction.role_change, target.id, str(target.role), command.queues)
                reply = f"✓ {target.name} · {', '.join(command.queues) or '-'}"
        if changed is not None:
            action, staff_id, role, queues = changed
            await audit.record(
                session, services, actor.id, action, detail=role_detail(staff_id, role, queues)
            )
    await message.reply_text(reply)
