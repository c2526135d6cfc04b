"""Shared fixtures: a migrated database (SQLite, or PostgreSQL via TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

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
