"""The instance lock of the hot standby (PostgreSQL advisory lock)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import Database
from storage.leader import LeaderLock

postgresql_only = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the instance lock needs PostgreSQL (runs in the PostgreSQL leg of .ci/run)",
)


@postgresql_only
async def test_lock_is_lost_with_its_connection(db: Database) -> None:
    active, standby = LeaderLock(db), LeaderLock(db)
    assert await active.try_acquire()
    assert await active.still_held()
    assert not await standby.try_acquire(), "one instance at a time"
    # A database restart or a network cut: the server ends the holder's session.
    async with db.engine.connect() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d"
                " ON d.oid = l.database WHERE d.datname = current_database()"
                " AND l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()"
            )
        )
    assert not await active.still_held(), "the active instance must notice and stop"
    assert await standby.try_acquire(), "the standby takes over"
    await active.release()  # a broken connection: released without an error
    await standby.release()
    assert await active.try_acquire(), "released cleanly: free again"
    await active.release()


async def test_sqlite_needs_no_lock(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/one.db")
    lock = LeaderLock(db)
    assert lock.held and await lock.try_acquire() and await lock.still_held()
    await db.dispose()
