"""The ``helpline`` command: run, setup, demo, db upgrade, staff, classify, export, import.

Every failure a person can cause (a bad setting, an unknown queue, a duplicate
staff member) ends with one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import traceback
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from urllib.parse import urlsplit

import typer
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from flows.config import ConfigError, FlowConfig, load_config
from helpline.cases.audit import role_detail
from helpline.commands.audit import audit
from helpline.commands.classify import classify
from helpline.commands.export import export
from helpline.commands.importer import import_app
from helpline.commands.privacy import privacy_app
from helpline.commands.triage import triage_app
from helpline.logs import setup_logging
from helpline.reporting.cli_support import fail
from helpline.settings import Settings, SettingsError, load_settings
from storage import repository as repo
from storage.db import Database
from storage.migrate import upgrade
from storage.models import AuditAction, Role

try:  # recent typer releases bundle their own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - an older typer on plain click
    from click.exceptions import UsageError  # type: ignore[assignment]


def usage_problem(exc: UsageError, command_path: str) -> str:
    """One line for a usage error: what is wrong, and where the command's help is.

    Args:
        exc: the error click raised while reading the command line.
        command_path: the command the arguments named (``helpline staff add``), for the
            errors that do not know it themselves.
    """
    lines = [line.strip() for line in exc.format_message().splitlines() if line.strip()]
    message = " ".join(lines).rstrip(".") or "wrong usage"
    if message[1:2].islower():  # "Missing option" -> "missing option", as our own lines read
        message = message[0].lower() + message[1:]
    if exc.ctx is not None:
        command_path = exc.ctx.command_path
    return f"{message} (see {command_path} --help)"


def named_command_path(ctx: Any, tokens: list[str]) -> str:
    """``helpline staff add``: the command that ``tokens`` name, as far as they name one."""
    path, command = [ctx.command_path], ctx.command
    for token in tokens:
        get_command = getattr(command, "get_command", None)
        sub = get_command(ctx, token) if get_command is not None else None
        if sub is None:
            break
        path.append(token)
        command = sub
    return " ".join(path)


@contextmanager
def one_line_usage_errors(command_path: Callable[[], str]) -> Iterator[None]:
    """Turns a usage error (a bad value, a missing option, an unknown command) into one
    line pointing to the command's --help, exit code 2, instead of typer's boxed usage."""
    try:
        yield
    except UsageError as exc:
        # Without arguments a group shows its help on purpose; that stays as it is.
        if type(exc).__name__ == "NoArgsIsHelpError":
            raise
        fail(usage_problem(exc, command_path()), code=2)


class HelplineGroup(TyperGroup):
    """The ``helpline`` command group. Sub-commands are parsed inside ``invoke``, so
    catching there covers every command, including those of the sub-groups."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Parses the group's own options; a mistake in them is one line."""
        with one_line_usage_errors(lambda: info_name or "helpline"):
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        """Runs the chosen command; a usage mistake in it is one line."""
        # Read before the group consumes them: some parser errors do not say which
        # command they are about, and these name it.
        tokens = [*getattr(ctx, "_protected_args", ()), *ctx.args]
        with one_line_usage_errors(lambda: named_command_path(ctx, tokens)):
            return super().invoke(ctx)


app = typer.Typer(
    cls=HelplineGroup,
    help="HeusdenHelpt!-style help line bot for Telegram.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff members and their queues.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.command("classify")(classify)
app.command("audit")(audit)
app.command("export")(export)
app.add_typer(import_app, name="import")
app.add_typer(privacy_app, name="privacy")  # access, erasure, retention
app.add_typer(triage_app, name="triage")

if TYPE_CHECKING:
    from helpline.services import HelplineApp

T = TypeVar("T")
# Telegram user ids fit in 52 bits.
MAX_TELEGRAM_ID = 2**52


def settings_or_exit() -> Settings:
    """The settings, or a one-line error naming the bad setting."""
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc))


def _with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async def main() -> T:
        db = Database(settings.db_url)
        try:
            await upgrade(db)
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except (OSError, DBAPIError) as exc:
        fail(database_problem(settings, exc))


def database_problem(settings: Settings, exc: OSError | DBAPIError) -> str:
    """One line for a database that cannot be reached or used (no password shown)."""
    where = settings.db_url.split("@")[-1]
    if isinstance(exc, OSError):
        return f"database {where}: {exc.strerror or exc}"
    reason = str(exc.orig) if exc.orig is not None else str(exc)
    return f"database {where}: {reason.strip().splitlines()[0] if reason.strip() else exc}"


def first_run_notice(settings: Settings, config: FlowConfig) -> None:
    """Serving Telegram on a line not set up yet: prints the guide of ``helpline setup``
    (with a first-admin code when there is no admin) instead of refusing to start.

    A line whose QUEUE_CHATS names the coordinators' group was set up by hand: nothing
    to read or print. Otherwise the groups linked with /koppel count too.
    """
    from helpline.first_run import essential_queues, run_notice, setup_state

    if all(queue in settings.queue_chats for queue in essential_queues(config)):
        return
    state = _with_db(settings, lambda db: setup_state(db, settings, config, now=datetime.now(UTC)))
    if not state.complete:
        typer.echo("\n".join(run_notice(state)))


def check_configuration(settings: Settings) -> None:
    """Validates the flows directory (with its triage rules and opening hours) and
    QUEUE_CHATS as ``helpline run`` would, or fails with one line."""
    from flows.business_hours import HoursError, OpeningHours
    from flows.triage import Classifier

    try:
        config = load_config(settings.flows_dir)
        Classifier(config)
        OpeningHours.from_config(config.opening_hours, settings.zone)
    except ConfigError as exc:
        fail(f"configuration: {exc}")
    except HoursError as exc:
        fail(f"configuration: organisation.toml: {exc}")
    unknown = sorted(set(settings.queue_chats) - set(config.queues))
    if unknown:
        fail(f"configuration: setting QUEUE_CHATS: unknown queue {unknown[0]!r}")


@app.command()
def run(
    webhook: Annotated[
        bool, typer.Option("--webhook", help="Serve Telegram webhooks instead of polling.")
    ] = False,
) -> None:
    """Starts the bot (polling or webhook). Without TELEGRAM_BOT_TOKEN it runs the demo."""
    settings = settings_or_exit()
    setup_logging(settings.log_level)
    if settings.token is None:
        typer.echo(
            "TELEGRAM_BOT_TOKEN is not set, so the bot cannot serve Telegram.\n"
            "Running the demo instead: a scripted intake and claim against a fake Telegram.\n"
            "Set TELEGRAM_BOT_TOKEN (see .env.example) to serve your real bot.\n"
        )
        check_configuration(settings)  # the demo plays Heusden; still check the line's own
        demo()
        return
    from telegram.error import InvalidToken, NetworkError

    from helpline.app import build_application, freeze_startup_objects
    from helpline.services import SERVICES_KEY
    from helpline.web import HttpStartError

    try:
        application = build_application(settings)
    except ConfigError as exc:
        fail(f"configuration: {exc}")
    except OSError as exc:  # e.g. the data directory cannot be made
        fail(database_problem(settings, exc))
    first_run_notice(settings, application.bot_data[SERVICES_KEY].config)
    if webhook and (settings.webhook_url is None or settings.webhook_secret is None):
        fail("--webhook needs the settings WEBHOOK_URL and WEBHOOK_SECRET")
    # Start-up failures (token refused, Bot API unreachable, database down) are one line.
    logging.getLogger("telegram.ext").addFilter(_no_bootstrap_traceback)
    freeze_startup_objects()
    try:
        _serve(application, settings, webhook=webhook)
    except HttpStartError as exc:  # HTTP_PORT taken, or HTTP_LISTEN not an address here
        fail(str(exc))
    except InvalidToken:
        fail("setting TELEGRAM_BOT_TOKEN: the Bot API does not accept this token")
    except NetworkError as exc:
        fail(f"cannot reach the Telegram Bot API at {settings.telegram_api_base_url}: {exc}")
    except (OSError, DBAPIError) as exc:
        fail(database_problem(settings, exc))


def _no_bootstrap_traceback(record: logging.LogRecord) -> bool:
    """PTB logs a failed start with a traceback; the line we print says it all."""
    if record.getMessage().startswith("Network Retry Loop (Bootstrap"):
        record.exc_info, record.exc_text = None, None
    return True


def _serve(application: HelplineApp, settings: Settings, *, webhook: bool) -> None:
    allowed = ["message", "callback_query"]
    if not webhook:
        application.run_polling(allowed_updates=allowed)
        return
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    path = urlsplit(settings.webhook_url).path.strip("/")
    application.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=path,
        webhook_url=settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=allowed,
    )


@app.command()
def demo() -> None:
    """Plays a resident intake and a staff claim against a fake Telegram; prints the transcript."""
    settings_or_exit()  # a broken environment is one line here too
    from helpline.demo import run_demo

    logging.disable(logging.WARNING)
    asyncio.run(run_demo())
    typer.echo("\nDemo finished: intake → queue card → claim.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Applies pending database migrations."""
    settings = settings_or_exit()
    _with_db(settings, lambda db: asyncio.sleep(0))
    typer.echo("Database is up to date.")


@app.command()
def setup() -> None:
    """Guides the first set-up step by step: bot token, first admin, queue groups, staff."""
    from helpline.first_run import guide, setup_state, token_guide

    settings = settings_or_exit()
    check_configuration(settings)
    if settings.token is None:
        typer.echo("\n".join(token_guide()))
        return
    config = load_config(settings.flows_dir)
    state = _with_db(settings, lambda db: setup_state(db, settings, config, now=datetime.now(UTC)))
    header = (
        "The line is set up (an admin, and the coordinators' group). For reference:"
        if state.complete
        else "Setting up the help line, step by step:"
    )
    typer.echo("\n".join([header, "", *guide(state)]))


def _queues_or_exit(settings: Settings, queues: list[str]) -> list[str]:
    try:
        known = load_config(settings.flows_dir).queues
    except ConfigError as exc:
        fail(f"configuration: {exc}")
    for queue in queues:
        if queue not in known:
            fail(f"unknown queue {queue!r}; known queues: {', '.join(known)}")
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
    from flows.staff_admin import MAX_NAME, has_control_character
    from storage.repository.telephony import set_phone_extension

    settings = settings_or_exit()
    queues = _queues_or_exit(settings, queue or [])
    if not name.strip() or len(name) > MAX_NAME:
        fail(f"--name must be 1 to {MAX_NAME} characters")
    if has_control_character(name):
        fail("--name must be one line, without tabs or other control characters")
    if not 0 < telegram_id < MAX_TELEGRAM_ID:
        fail("--telegram-id must be a Telegram user id (a positive number)")
    extension = (phone_extension or "").strip() or None
    if extension is not None and not re.fullmatch(r"[A-Za-z0-9_.@+-]{1,32}", extension):
        fail("--phone-extension must be 1 to 32 letters, digits or _ . @ + -")

    async def work(db: Database) -> None:
        async with db.session() as session:
            added = await repo.add_staff(
                session=session,
                telegram_user_id=telegram_id,
                name=name.strip(),
                role=role,
                queues=queues,
            )
            assert added.id is not None
            await set_phone_extension(session=session, staff_id=added.id, extension=extension)
            await repo.record_audit(
                session=session,
                actor_staff_id=None,
                action=AuditAction.role_add,
                detail=role_detail(added.id, str(role), queues),
                now=datetime.now(UTC),
            )

    try:
        _with_db(settings, work)
    except repo.StaffExistsError as exc:
        fail(str(exc))
    phone = f", phone extension {extension}" if extension else ""
    typer.echo(f"Added {name.strip()} ({role!s}) to: {', '.join(queues) or 'no queues'}{phone}.")


@staff_app.command("list")
def staff_list() -> None:
    """Lists the active staff members and their queues."""
    settings = settings_or_exit()

    async def work(db: Database) -> list[tuple[int, str, str, list[str]]]:
        async with db.session() as session:
            return [
                (s.telegram_user_id, s.name, str(s.role), q)
                for s, q in await repo.list_staff(session=session)
            ]

    rows = _with_db(settings, work)
    if not rows:
        typer.echo("No staff registered yet. Add someone with: helpline staff add --help")
    for telegram_id, name, role, queues in rows:
        typer.echo(f"{telegram_id}\t{name}\t{role}\t{','.join(queues)}")


@staff_app.command("remove")
def staff_remove(
    telegram_id: Annotated[int, typer.Option("--telegram-id", help="Their Telegram user id.")],
) -> None:
    """Removes a staff member (their name stays on earlier work)."""
    settings = settings_or_exit()

    async def work(db: Database) -> bool:
        async with db.session() as session:
            target = await repo.get_staff(session=session, telegram_user_id=telegram_id)
            removed = await repo.remove_staff(session=session, telegram_user_id=telegram_id)
            if removed and target is not None:
                await repo.record_audit(
                    session=session,
                    actor_staff_id=None,
                    action=AuditAction.role_remove,
                    detail=role_detail(target.id, str(target.role), ()),
                    now=datetime.now(UTC),
                )
            return removed

    if not _with_db(settings, work):
        fail(f"no active staff member with Telegram id {telegram_id}", code=1)
    typer.echo(f"Removed staff member {telegram_id}.")


def _valid_name_or_exit(name: str) -> str:
    """The name, stripped; or one line saying what is wrong with it (as ``staff add``)."""
    from flows.staff_admin import MAX_NAME, has_control_character

    if not name.strip() or len(name) > MAX_NAME:
        fail(f"--name must be 1 to {MAX_NAME} characters")
    if has_control_character(name):
        fail("--name must be one line, without tabs or other control characters")
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
    settings = settings_or_exit()
    if not 0 < telegram_id < MAX_TELEGRAM_ID:
        fail("--telegram-id must be a Telegram user id (a positive number)")
    if queue is not None and (add_queue or remove_queue):
        fail("give --queue (all their queues), or --add-queue/--remove-queue, not both")
    if name is None and role is None and not (queue or add_queue or remove_queue):
        fail("nothing to change: give --name, --role, --queue, --add-queue or --remove-queue")
    new_name = None if name is None else _valid_name_or_exit(name)
    queues = None if queue is None else _queues_or_exit(settings, queue)
    adding = _queues_or_exit(settings, add_queue or [])
    removing = _queues_or_exit(settings, remove_queue or [])
    both = sorted(set(adding) & set(removing))
    if both:
        fail(f"queue {both[0]!r} is both added and removed")

    async def work(db: Database) -> repo.StaffChange | None:
        async with db.session() as session:
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
                await repo.record_audit(
                    session=session,
                    actor_staff_id=None,
                    action=AuditAction.role_change,
                    detail=role_detail(change.staff_id, str(change.role), change.queues),
                    now=datetime.now(UTC),
                )
            return change

    change = _with_db(settings, work)
    if change is None:
        fail(f"no active staff member with Telegram id {telegram_id}", code=1)
    if not change.changed:
        typer.echo(f"Nothing changed for {telegram_id}: it was already so.")
        return
    typer.echo(
        f"Changed {telegram_id}: {change.name} ({change.role!s}), "
        f"queues: {', '.join(change.queues) or 'none'}."
    )


def main() -> None:
    """Entry point of the ``helpline`` command."""
    # The database, its WAL, exports and logs hold residents' personal data: everything
    # this process creates is for its own user only, whichever command runs.
    os.umask(0o077)
    try:
        app()
    except Exception as exc:  # a bug still ends in one line; LOG_LEVEL=DEBUG shows where
        if os.environ.get("LOG_LEVEL", "").upper() == "DEBUG":
            traceback.print_exc()
        typer.echo(
            f"helpline: unexpected error ({type(exc).__name__}); please report it "
            "(LOG_LEVEL=DEBUG shows the details)",
            err=True,
        )
        raise SystemExit(1) from None
