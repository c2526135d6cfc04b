"""What the export and import commands share: one-line failures and a migrated database.

Kept apart from ``helpline.cli`` so the commands can be registered there without an
import cycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer
from sqlalchemy.exc import DBAPIError

from flows.config import ConfigError, FlowConfig, load_config
from flows.labels import Labels, load_labels
from helpline.settings import Settings, SettingsError, load_settings
from storage.db import Database
from storage.migrate import upgrade

T = TypeVar("T")


def fail(message: str, code: int = 2) -> NoReturn:
    """Prints one line to stderr and exits."""
    typer.echo(f"helpline: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    """The settings, or a one-line error naming the bad setting."""
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc))


def config_or_exit(settings: Settings) -> tuple[FlowConfig, Labels]:
    """The flows configuration and report labels, or a one-line error."""
    try:
        return load_config(settings.flows_dir), load_labels(settings.flows_dir)
    except ConfigError as exc:
        fail(f"configuration: {exc}")


def run_with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Runs ``work`` on the migrated database; a connection failure is one line."""

    async def main() -> T:
        db = Database(settings.db_url)
        try:
            await upgrade(db)
            return await work(db)
        finally:
            await db.dispose()

    where = settings.db_url.split("@")[-1]
    try:
        return asyncio.run(main())
    except OSError as exc:
        fail(f"database {where}: {exc.strerror or exc}")
    except DBAPIError as exc:  # locked, read-only, disk full, server gone, no such database
        fail(f"database {where}: {str(exc.orig).splitlines()[0] if exc.orig else exc}")
