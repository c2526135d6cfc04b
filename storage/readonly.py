"""Read-only sessions for reports, so counting a year never holds up the bot.

``Database.session`` on SQLite starts with ``BEGIN IMMEDIATE``: right for the bot's
writes, wrong for a report that reads for a second or two, because it would hold
the write lock (and, in the bot, its single connection) all that time. Reports read
through connections of their own instead: ``query_only``, a plain deferred ``BEGIN``
(a consistent snapshot per connection in WAL mode, no lock), and several of them,
so independent parts of a report are counted in parallel threads.

PostgreSQL has no such problem (MVCC, a pool): there the database's own session is
used, once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from storage.db import SQLITE_BUSY_TIMEOUT_MS, Database, sqlite_in_memory


def _separate_connections_possible(db: Database) -> bool:
    return db.dialect == "sqlite" and not sqlite_in_memory(db.url)


@asynccontextmanager
async def read_sessions(db: Database, count: int = 2) -> AsyncIterator[list[AsyncSession]]:
    """``count`` read-only sessions on SQLite; one session of ``db`` elsewhere.

    Each session is one read transaction; anything that tries to write fails.
    """
    if not _separate_connections_possible(db):
        async with db.session() as session:
            yield [session]
        return
    # aiosqlite, not the bot's in-loop driver: each connection reads on a thread of its
    # own, so the parts of a report are counted in parallel while the bot goes on.
    url = make_url(db.url).set(drivername="sqlite+aiosqlite")
    engine = create_async_engine(url, pool_size=count, max_overflow=0)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")  # deferred: a snapshot, not the write lock

    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with AsyncExitStack() as stack:
            opened = []
            for _ in range(count):
                session = await stack.enter_async_context(sessions())
                await stack.enter_async_context(session.begin())
                opened.append(session)
            yield opened
    finally:
        await engine.dispose()
