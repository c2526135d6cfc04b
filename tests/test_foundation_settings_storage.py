"""Foundation promises not covered elsewhere: every setting documented, SQLite tuned."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

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


async def test_sqlite_runs_in_wal_on_the_in_loop_driver(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    try:
        assert db.engine.dialect.driver == "inline"
        async with db.session() as session:
            mode = await session.scalar(text("PRAGMA journal_mode"))
            # The connection never waits on the loop; the wait is the thread's (below).
            timeout = await session.scalar(text("PRAGMA busy_timeout"))
        assert (mode, timeout) == ("wal", 0)
    finally:
        await db.dispose()


async def test_a_locked_database_is_waited_for_off_the_event_loop(tmp_path: Path) -> None:
    """Another process holds the write lock for a while: the session waits for it on a
    thread, the event loop goes on meanwhile, and the work is done once it is free."""
    path = tmp_path / "h.db"
    db = Database(f"sqlite:///{path}")
    await upgrade(db)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def release_later() -> None:
        await asyncio.sleep(0.3)
        other.execute("ROLLBACK")

    running = asyncio.create_task(ticker())
    releasing = asyncio.create_task(release_later())
    try:
        async with db.session() as session:
            session.add(Staff(telegram_user_id=1, name="Anna"))
        await releasing
        assert ticks >= 15, "the event loop was blocked while waiting for the lock"
        async with db.session() as session:
            assert await session.scalar(text("SELECT count(*) FROM staff")) == 1
    finally:
        running.cancel()
        other.close()
        await db.dispose()


async def test_a_lock_held_past_the_busy_timeout_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    db = Database(f"sqlite:///{path}")
    await upgrade(db)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        async with db.engine.connect() as connection:  # the pool's one connection
            raw = await connection.get_raw_connection()
            raw.driver_connection.busy_timeout_ms = 50  # type: ignore[union-attr]
        with pytest.raises(OperationalError, match="locked"):
            async with db.session() as session:
                session.add(Staff(telegram_user_id=1, name="Anna"))
        other.execute("ROLLBACK")
        async with db.session() as session:  # the connection is fine afterwards
            assert await session.scalar(text("SELECT count(*) FROM staff")) == 0
    finally:
        other.close()
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


async def test_wal_checkpoints_run_on_a_thread_not_in_commits(tmp_path: Path) -> None:
    """SQLite checkpoints inside a commit (an fsync on the event loop); the bot's
    connection leaves that to a checkpointer that runs on a worker thread."""
    path = tmp_path / "h.db"
    db = Database(f"sqlite:///{path}")
    checkpointer = db.checkpoint_off_the_loop()
    assert checkpointer is not None
    await upgrade(db)
    try:
        async with db.session() as session:
            assert await session.scalar(text("PRAGMA wal_autocheckpoint")) == 0
        for n in range(60):  # well past SQLite's own threshold of 1,000 pages
            async with db.session() as session:
                await session.execute(
                    text(
                        "INSERT INTO staff (telegram_user_id, name, role, active, created_at) "
                        "VALUES (:id, :name, 'staff', 1, CURRENT_TIMESTAMP)"
                    ),
                    [{"id": n * 1000 + k, "name": "x" * 100} for k in range(1000)],
                )
        copied = await checkpointer()  # everything since the start: no commit did it
        assert copied > 2000, copied
        async with db.session() as session:
            assert await session.scalar(text("SELECT count(*) FROM staff")) == 60_000
    finally:
        await db.dispose()


async def test_no_checkpointer_where_there_is_no_wal_file() -> None:
    db = Database("sqlite:///:memory:")
    try:
        assert db.checkpoint_off_the_loop() is None
    finally:
        await db.dispose()


async def test_the_bot_checkpoints_on_its_dispatcher_tick(tmp_path: Path) -> None:
    from helpline.app import build_services
    from storage.sqlite_inline import WalCheckpointer

    settings = Settings(
        telegram_bot_token=None,
        database_url=f"sqlite:///{tmp_path / 'h.db'}",
        HELPLINE_DATA_DIR=tmp_path,
    )
    services = build_services(settings)
    try:
        hooks = [h for h in services.dispatcher.hooks if isinstance(h, WalCheckpointer)]
        assert len(hooks) == 1 and hooks[0].path == str(tmp_path / "h.db")
    finally:
        await services.db.dispose()
