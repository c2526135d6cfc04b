"""The ``helpline`` command: run, setup, demo, db upgrade, staff, classify, export, import.

Every failure a person can cause (a bad setting, an unknown queue, a duplicate
staff member) ends with one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import logging
import os
import traceback
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer
from sqlalchemy.exc import DBAPIError

from flows.config import ConfigError, FlowConfig, load_config
from helpline.commands.audit import audit
from helpline.commands.classify import classify
from helpline.commands.export import export
from helpline.commands.importer import import_app
from helpline.commands.privacy import privacy_app
from helpline.commands.staff import staff_app
from helpline.commands.support import database_problem, fail, run_with_db, settings_or_exit
from helpline.commands.triage import triage_app
from helpline.commands.usage import HelplineGroup
from helpline.logs import setup_logging
from helpline.settings import Settings

app = typer.Typer(
    cls=HelplineGroup,
    help="HeusdenHelpt!-style help line bot for Telegram.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
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


def first_run_notice(settings: Settings, config: FlowConfig) -> None:
    """Serving Telegram on a line not set up yet: prints the guide of ``helpline setup``
    (with a first-admin code when there is no admin) instead of refusing to start.

    A line whose QUEUE_CHATS names the coordinators' group was set up by hand: nothing
    to read or print. Otherwise the groups linked with /koppel count too.
    """
    from helpline.first_run import essential_queues, run_notice, setup_state

    if all(queue in settings.queue_chats for queue in essential_queues(config)):
        return
    state = run_with_db(
        settings, lambda db: setup_state(db, settings, config, now=datetime.now(UTC))
    )
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

    from flows.errors import HttpStartError
    from helpline.app import build_application, freeze_startup_objects
    from helpline.services import SERVICES_KEY

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
def demo(
    email: Annotated[
        bool, typer.Option("--email", help="An intake by email, offline: nothing is sent.")
    ] = False,
    phone: Annotated[
        bool, typer.Option("--phone", help="A call from a known resident, offline.")
    ] = False,
) -> None:
    """Plays a resident intake and a staff claim against a fake Telegram; prints the transcript."""
    settings_or_exit()  # a broken environment is one line here too
    from helpline.demo import run_demo, run_email_demo, run_phone_demo

    logging.disable(logging.WARNING)
    if phone:
        asyncio.run(run_phone_demo())
        typer.echo("\nDemo finished: call → pop → answered → contact logged → follow-up.")
        return
    if email:
        asyncio.run(run_email_demo())
        typer.echo("\nDemo finished: email → queue card → claim → reply by email.")
        return
    asyncio.run(run_demo())
    typer.echo("\nDemo finished: intake → queue card → claim.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Applies pending database migrations."""
    settings = settings_or_exit()
    run_with_db(settings, lambda db: asyncio.sleep(0))
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
    state = run_with_db(
        settings, lambda db: setup_state(db, settings, config, now=datetime.now(UTC))
    )
    header = (
        "The line is set up (an admin, and the coordinators' group). For reference:"
        if state.complete
        else "Setting up the help line, step by step:"
    )
    typer.echo("\n".join([header, "", *guide(state)]))


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
