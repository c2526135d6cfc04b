"""The ``helpline`` command: run, demo, db upgrade, staff add|list|remove, classify, export, import.

Every failure a person can cause (a bad setting, an unknown queue, a duplicate
staff member) ends with one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import logging
import os
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, TypeVar
from urllib.parse import urlsplit

import typer
from sqlalchemy.exc import DBAPIError

from flows.config import ConfigError, FlowConfig, load_config
from helpline.audit import role_detail
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

app = typer.Typer(help="HeusdenHelpt!-style help line bot for Telegram.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff members and their queues.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.command("classify")(classify)
app.command("audit")(audit)
app.command("export")(export)
app.add_typer(import_app, name="import")
app.add_typer(privacy_app, name="privacy")  # issue 7: access, erasure, retention
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


def require_crisis_group(settings: Settings, config: FlowConfig) -> None:
    """Serving Telegram needs the coordinators' group: crisis alerts, and the cards of
    queues without a group of their own, go there. Without it they would go nowhere."""
    for queue in dict.fromkeys((config.crisis_queue, config.triage_queue)):
        if queue not in settings.queue_chats:
            fail(
                f"setting QUEUE_CHATS: give the Telegram group of the {queue!r} queue "
                "(crisis alerts, and cards of queues without a group, go there)"
            )


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

    try:
        application = build_application(settings)
    except ConfigError as exc:
        fail(f"configuration: {exc}")
    except OSError as exc:  # e.g. the data directory cannot be made
        fail(database_problem(settings, exc))
    require_crisis_group(settings, application.bot_data[SERVICES_KEY].config)
    if webhook and (settings.webhook_url is None or settings.webhook_secret is None):
        fail("--webhook needs the settings WEBHOOK_URL and WEBHOOK_SECRET")
    # Start-up failures (token refused, Bot API unreachable, database down) are one line.
    logging.getLogger("telegram.ext").addFilter(_no_bootstrap_traceback)
    freeze_startup_objects()
    try:
        _serve(application, settings, webhook=webhook)
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
) -> None:
    """Registers a staff member or volunteer with their queues."""
    from flows.staff_admin import MAX_NAME, has_control_character

    settings = settings_or_exit()
    queues = _queues_or_exit(settings, queue or [])
    if not name.strip() or len(name) > MAX_NAME:
        fail(f"--name must be 1 to {MAX_NAME} characters")
    if has_control_character(name):
        fail("--name must be one line, without tabs or other control characters")
    if not 0 < telegram_id < MAX_TELEGRAM_ID:
        fail("--telegram-id must be a Telegram user id (a positive number)")

    async def work(db: Database) -> None:
        async with db.session() as session:
            added = await repo.add_staff(
                session=session,
                telegram_user_id=telegram_id,
                name=name.strip(),
                role=role,
                queues=queues,
            )
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
    typer.echo(f"Added {name.strip()} ({role!s}) to: {', '.join(queues) or 'no queues'}.")


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
