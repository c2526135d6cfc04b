"""Shared fixtures: a migrated database (SQLite, or PostgreSQL via TEST_DATABASE_URL), and
the ``helpline`` command on it for the import tests."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel
from typer.testing import CliRunner, Result

from helpline.cli import app
from helpline.commands import importer
from storage.db import Database
from storage.migrate import upgrade

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


async def _reset_postgres(db: Database) -> None:
    """Empties every table (schema migrated once per run)."""
    async with db.engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


_pg_migrated = False


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The URL of a fresh, empty database for one test."""
    return TEST_DATABASE_URL or f"sqlite+aiosqlite:///{tmp_path / 'helpline.db'}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database."""
    global _pg_migrated
    database = Database(database_url)
    if TEST_DATABASE_URL:
        if not _pg_migrated:
            async with database.engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await upgrade(database)
            _pg_migrated = True
        await _reset_postgres(database)
    else:
        await upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture(params=["checked here", "checked apart"])
def import_cli(
    db: Database,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Callable[..., Awaitable[Result]]:
    """Runs ``helpline`` on the test database (in a thread: it has its own loop); each
    test twice: the import file checked in this process, and in the second process a
    large file gets."""
    if request.param == "checked apart":
        monkeypatch.setattr(importer, "CHECK_APART_FROM_BYTES", 0)
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR", "IMPORT_MAX_MB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))

    async def invoke(*args: str) -> Result:
        return await asyncio.to_thread(CliRunner().invoke, app, list(args))

    return invoke
