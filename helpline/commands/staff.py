"""``helpline staff``: register, list, change and remove staff members and volunteers.

Every change is audited (who got which role and queues, never a name), and a running bot
notices it at once.
"""

from __future__ import annotations

import re
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from flows.config import ConfigError, load_config
from helpline.cases.audit import role_detail
from helpline.commands import support as cli
from helpline.settings import Settings
from storage import repository as repo
from storage.models import AuditAction, Role

staff_app = typer.Typer(help="Staff members and their queues.", no_args_is_help=True)

# Telegram user ids fit in 52 bits.
MAX_TELEGRAM_ID = 2**52


def _queues_or_exit(settings: Settings, queues: list[str]) -> list[str]:
    try:
        known = load_config(settings.flows_dir).queues
    except ConfigError as exc:
        cli.fail(f"configuration: {exc}")
    for queue in queues:
        if queue not in known:
            cli.fail(f"unknown queue {queue!r}; known queues: {', '.join(known)}")
    return list(dict.fromkeys(queues))  # a queue given twice counts once


@staff_app.command("add")
def staff_add(
    telegram_id: Annotated[int, typer.Option("--telegram-id", help="Their Telegram user id.")],
    name: Annotated[str, typer.Option("--name", help="Name shown to colleagues.")],
    role: Annotated[Role, typer.Option("--role", help="What they may do.")] = Role.staff,
    queue: Annotated[
        list[str] | None, typer.Option("--queue", help="A queue they work (repeatable).")
    ] = None,
    phone_extension: Annotated[
        str | None,
        typer.Option("--phone-extension", help="Their extension (or login) on the exchange."),
    ] = None,
) -> None:
    """Registers a staff member or volunteer with their queues."""
    from storage.repository.telephony import set_phone_extension

    settings = cli.settings_or_exit()
    queues = _queues_or_exit(settings, queue or [])
    name = _valid_name_or_exit(name)
    _valid_telegram_id_or_exit(telegram_id)
    extension = (phone_extension or "").strip() or None
    if extension is not None and not re.fullmatch(r"[A-Za-z0-9_.@+-]{1,32}", extension):
        cli.fail("--phone-extension must be 1 to 32 letters, digits or _ . @ + -")

    async def work(session: AsyncSession) -> None:
        added = await repo.add_staff(
            session=session,
            telegram_user_id=telegram_id,
            name=name,
            role=role,
            queues=queues,
        )
        assert added.id is not None
        await set_phone_extension(session=session, staff_id=added.id, extension=extension)
        await cli.audit(session, AuditAction.role_add, role_detail(added.id, str(role), queues))

    try:
        cli.run_in_session(settings, work)
    except repo.StaffExistsError as exc:
        cli.fail(str(exc))
    phone = f", phone extension {extension}" if extension else ""
    typer.echo(f"Added {name} ({role!s}) to: {', '.join(queues) or 'no queues'}{phone}.")


@staff_app.command("list")
def staff_list() -> None:
    """Lists the active staff members and their queues."""
    settings = cli.settings_or_exit()

    async def work(session: AsyncSession) -> list[tuple[int, str, str, list[str]]]:
        return [
            (s.telegram_user_id, s.name, str(s.role), q)
            for s, q in await repo.list_staff(session=session)
        ]

    rows = cli.run_in_session(settings, work)
    if not rows:
        typer.echo("No staff registered yet. Add someone with: helpline staff add --help")
    for telegram_id, name, role, queues in rows:
        typer.echo(f"{telegram_id}\t{name}\t{role}\t{','.join(queues)}")


@staff_app.command("remove")
def staff_remove(
    telegram_id: Annotated[int, typer.Option("--telegram-id", help="Their Telegram user id.")],
) -> None:
    """Removes a staff member (their name stays on earlier work)."""
    settings = cli.settings_or_exit()

    async def work(session: AsyncSession) -> bool:
        target = await repo.get_staff(session=session, telegram_user_id=telegram_id)
        removed = await repo.remove_staff(session=session, telegram_user_id=telegram_id)
        if removed and target is not None:
            detail = role_detail(target.id, str(target.role), ())
            await cli.audit(session, AuditAction.role_remove, detail)
        return removed

    if not cli.run_in_session(settings, work):
        cli.fail(f"no active staff member with Telegram id {telegram_id}", code=1)
    typer.echo(f"Removed staff member {telegram_id}.")


def _valid_telegram_id_or_exit(telegram_id: int) -> None:
    if not 0 < telegram_id < MAX_TELEGRAM_ID:
        cli.fail("--telegram-id must be a Telegram user id (a positive number)")


def _valid_name_or_exit(name: str) -> str:
    """The name, stripped; or one line saying what is wrong with it."""
    from flows.staff_admin import MAX_NAME, has_control_character

    if not name.strip() or len(name) > MAX_NAME:
        cli.fail(f"--name must be 1 to {MAX_NAME} characters")
    if has_control_character(name):
        cli.fail("--name must be one line, without tabs or other control characters")
    return name.strip()


@staff_app.command("edit")
def staff_edit(
    telegram_id: Annotated[int, typer.Option("--telegram-id", help="Their Telegram user id.")],
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    role: Annotated[Role | None, typer.Option("--role", help="New role.")] = None,
    queue: Annotated[
        list[str] | None,
        typer.Option("--queue", help="Replaces their queues (repeatable)."),
    ] = None,
    add_queue: Annotated[
        list[str] | None, typer.Option("--add-queue", help="A queue to add (repeatable).")
    ] = None,
    remove_queue: Annotated[
        list[str] | None,
        typer.Option("--remove-queue", help="A queue to remove (repeatable)."),
    ] = None,
) -> None:
    """Changes a staff member's name, role or queues (a running bot notices at once)."""
    settings = cli.settings_or_exit()
    _valid_telegram_id_or_exit(telegram_id)
    if queue is not None and (add_queue or remove_queue):
        cli.fail("give --queue (all their queues), or --add-queue/--remove-queue, not both")
    if name is None and role is None and not (queue or add_queue or remove_queue):
        cli.fail("nothing to change: give --name, --role, --queue, --add-queue or --remove-queue")
    new_name = None if name is None else _valid_name_or_exit(name)
    queues = None if queue is None else _queues_or_exit(settings, queue)
    adding = _queues_or_exit(settings, add_queue or [])
    removing = _queues_or_exit(settings, remove_queue or [])
    both = sorted(set(adding) & set(removing))
    if both:
        cli.fail(f"queue {both[0]!r} is both added and removed")

    async def work(session: AsyncSession) -> repo.StaffChange | None:
        change = await repo.edit_staff(
            session=session,
            telegram_user_id=telegram_id,
            name=new_name,
            role=role,
            queues=queues,
            add_queues=adding,
            remove_queues=removing,
        )
        if change is not None and change.changed:
            detail = role_detail(change.staff_id, str(change.role), change.queues)
            await cli.audit(session, AuditAction.role_change, detail)
        return change

    change = cli.run_in_session(settings, work)
    if change is None:
        cli.fail(f"no active staff member with Telegram id {telegram_id}", code=1)
    if not change.changed:
        typer.echo(f"Nothing changed for {telegram_id}: it was already so.")
        return
    typer.echo(
        f"Changed {telegram_id}: {change.name} ({change.role!s}), "
        f"queues: {', '.join(change.queues) or 'none'}."
    )
