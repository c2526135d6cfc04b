"""Database engine and sessions for SQLite (default) and PostgreSQL.

SQLite is tuned for a bot that writes on every update: WAL (readers never block
the writer), a busy timeout (another process, such as the CLI, may hold the write
lock for a moment) and ``BEGIN IMMEDIATE`` so a transaction takes the write lock
up front instead of failing half-way with "database is locked". Inside one process
a single connection serialises the work without busy-waiting. Statements run on the
event loop itself (``storage.sqlite_inline``); only waiting for another process's
lock goes to a thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from storage import sqlite_inline

logger = logging.getLogger(__name__)

# How long a statement waits for another process's write lock (on a worker thread).
SQLITE_BUSY_TIMEOUT_MS = sqlite_inline.DEFAULT_BUSY_TIMEOUT_MS


def sqlite_in_memory(url: str) -> bool:
    """Whether this SQLite URL is an in-memory database (one shared connection)."""
    parsed = make_url(url)
    return (parsed.database or "") in ("", ":memory:") or "mode=memory" in url


def sqlite_file(url: str) -> Path | None:
    """The file of a plain SQLite file URL; None in memory or for a ``file:`` URI."""
    database = make_url(url).database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def make_private(path: Path) -> None:
    """Makes the SQLite file readable by this user only, whatever the umask: its
    directory, if new, 0700; the file 0600 (created empty if missing; SQLite gives its
    -wal and -shm files the mode of the database). An existing file of ours that others
    may read is tightened."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(OSError):  # a file we cannot create or change: SQLite says why
        os.close(os.open(path, os.O_CREAT | os.O_RDONLY, 0o600))
        for side in ("", "-wal", "-shm", "-journal"):
            _tighten(path.with_name(path.name + side))


def _tighten(path: Path) -> None:
    with suppress(FileNotFoundError):
        info = path.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
            path.chmod(stat.S_IMODE(info.st_mode) & 0o700)


def normalise_url(url: str) -> str:
    """Adds the async driver to a plain ``sqlite://`` or ``postgresql://`` URL.

    Every SQLite URL, ``sqlite+aiosqlite://`` too, gets the in-loop driver.
    """
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"):
        parsed = parsed.set(drivername=f"sqlite+{sqlite_inline.DRIVER}")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # (The connection itself never waits for a lock, which would block the event
        # loop: a locked statement waits SQLITE_BUSY_TIMEOUT_MS on a thread instead.)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted and overwritten content is zeroed in the file, not left in free space:
        # erasure must leave no readable copy.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, state: Any) -> None:
        # A connection comes back after its commit or rollback; only a transaction left
        # open (a plain connect() that never committed) needs rolling back, which saves
        # a trip per transaction.
        if not state.terminate_only and record.driver_connection.in_transaction:
            dbapi_connection.rollback()


def create_engine(url: str, *, pool_size: int | None = None) -> AsyncEngine:
    """Creates the async engine for ``url``; makes the SQLite data directory if needed."""
    url = normalise_url(url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is not None:
            make_private(path)
        # One connection per process: SQLite has one writer anyway, and waiting for the
        # pool is an async wait, where waiting on the file lock would block a thread.
        # (In memory there is one shared connection anyway: the dialect's StaticPool.)
        if not sqlite_in_memory(url):
            kwargs.update(
                pool_size=pool_size or 1,
                max_overflow=0,
                pool_timeout=60,
                pool_reset_on_return=None,
            )
        engine = create_async_engine(url, **kwargs)
        _tune_sqlite(engine)
        return engine
    if pool_size == 0:
        kwargs["poolclass"] = NullPool
    else:
        kwargs.update(pool_size=pool_size or 10, max_overflow=10, pool_pre_ping=True)
    return create_async_engine(url, **kwargs)


# Writes rows handed to ``Database.defer`` inside a transaction; set by the module that
# owns their table (``storage.repository.chat_messages``), so this module needs no models.
DeferredWriter = Callable[[AsyncSession, list[dict[str, Any]]], Awaitable[None]]


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


class Database:
    """The engine and a session factory; ``async with db.session() as s`` is one transaction."""

    def __init__(self, url: str, *, pool_size: int | None = None) -> None:
        self.url = normalise_url(url)
        self.engine = create_engine(self.url, pool_size=pool_size)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._deferred: list[dict[str, Any]] = []
        self._deferred_writer: DeferredWriter | None = None
        self._inline = self.engine.dialect.driver == sqlite_inline.DRIVER

    def defer(self, writer: DeferredWriter, rows: list[dict[str, Any]]) -> None:
        """Keeps rows to be written by the next transaction of this database, whichever.

        For the message ids of replies (``/wis``): they exist only after the send, so
        writing them at once would cost every update a second transaction. The next one
        (any chat's update, or the dispatcher's tick within seconds) writes them instead.
        A crash loses at most the ids of that gap; ``dispose`` writes what is left.
        """
        self._deferred_writer = writer
        self._deferred.extend(rows)

    def checkpoint_off_the_loop(self) -> sqlite_inline.WalCheckpointer | None:
        """For the bot, before its first session: SQLite's own checkpoints (inside a
        commit, so on the event loop) are turned off, and the checkpointer returned does
        them on a thread (``sqlite_inline.WalCheckpointer``). None where there is no WAL
        file to checkpoint: PostgreSQL, or SQLite in memory."""
        path = sqlite_file(self.url) if self.dialect == "sqlite" else None
        if path is None:
            return None

        @event.listens_for(self.engine.sync_engine, "connect")
        def _no_checkpoint_in_commits(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

        return sqlite_inline.WalCheckpointer(str(path))

    async def wipe_wal(self) -> bool:
        """After an erasure: copies the WAL into the database and truncates it to nothing,
        so the erased values survive in neither. True when done (always on PostgreSQL and
        in memory); False when readers kept it busy for the whole wait."""
        path = sqlite_file(self.url) if self.dialect == "sqlite" else None
        if path is None:
            return True
        return await asyncio.to_thread(sqlite_inline.truncate_wal, str(path))

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on any error.

        Rows kept by ``defer`` are written first, in the same transaction.
        """
        rows: list[dict[str, Any]] = []
        session = self._sessions()
        closed = False
        try:
            if self._deferred and self._deferred_writer is not None:
                # The connection first, then the rows: taken while waiting for it, they
                # would be in no transaction a reader could see meanwhile. Another
                # session may have taken them during that wait: then none are left.
                await session.connection()
                rows, self._deferred = self._deferred, []
                if rows:
                    await self._deferred_writer(session, rows)
            yield session
            if self._inline:
                # On the in-loop driver nothing in committing or closing waits on the
                # event loop, so no cancellation can stop it half-way: both in one trip
                # into SQLAlchemy's greenlet, and no task of its own to shield the close.
                await session.run_sync(_commit_and_close)
                closed = True
            else:
                await session.commit()
        except BaseException:
            self._deferred[:0] = rows  # not committed: the next transaction writes them
            raise
        finally:
            if not closed:
                await self._close(session)

    async def _close(self, session: AsyncSession) -> None:
        """Closes the session; what it did not commit is rolled back."""
        if self._inline:
            await session.close()
        else:
            async with session:  # closes it in a task of its own, which cancellation spares
                pass

    async def warm_up(self) -> bool:
        """Compiles the hot path's statements into the engine's cache by running them once
        in a transaction rolled back (``storage.repository.warm``); True when done.

        For the bot at start-up, after the migrations: then the first update of each kind
        costs no more than the second. Each engine has a cache of its own, so this is not
        done for every ``Database`` (a test or CLI command would pay 0.2–1 s for it).
        A failure is logged and ignored: it only leaves the cache cold.
        """
        from storage.repository.warm import warm_up  # the repository imports this module

        try:
            async with self._sessions() as session, session.begin():
                await warm_up(session)
                await session.rollback()
        except Exception:
            logger.warning("statement warm-up failed", exc_info=True)
            return False
        return True

    async def dispose(self) -> None:
        """Writes the rows still kept by ``defer``, then closes all connections."""
        if self._deferred:
            with suppress(Exception):  # a failing database must not stop the shutdown
                async with self.session():
                    pass
        await self.engine.dispose()
