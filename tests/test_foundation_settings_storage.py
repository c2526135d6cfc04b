"""Foundation promises not covered elsewhere: every setting documented, SQLite tuned."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from sqlalchemy import text

from helpline.settings import Settings
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Staff

ROOT = Path(__file__).resolve().parent.parent


def test_env_example_documents_every_setting() -> None:
    names = {(field.alias or name).upper() for name, field in Settings.model_fields.items()}
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert names - documented == set(), "settings missing from .env.example"
    assert documented - names == set(), ".env.example names settings that do not exist"


async def test_sqlite_runs_in_wal_with_a_busy_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    try:
        async with db.session() as session:
            mode = await session.scalar(text("PRAGMA journal_mode"))
            timeout = await session.scalar(text("PRAGMA busy_timeout"))
        assert (mode, timeout) == ("wal", 10_000)
    finally:
        await db.dispose()


async def test_sqlite_transactions_take_the_write_lock_up_front(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE: even a transaction that has only read holds the write lock, so it
    can never fail half-way with "database is locked" when it comes to write."""
    path = tmp_path / "h.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        async with db.session() as session:
            await session.scalar(text("SELECT count(*) FROM staff"))  # a read only, so far
            try:
                other.execute("BEGIN IMMEDIATE")
                locked = False
                other.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                locked = "locked" in str(exc)
            session.add(Staff(telegram_user_id=1, name="Anna"))
        assert locked, "the session's transaction did not hold the write lock"
        other.execute("BEGIN IMMEDIATE")  # free again after the commit
        other.execute("ROLLBACK")
    finally:
        other.close()
        await db.dispose()
