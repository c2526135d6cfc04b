"""An async SQLAlchemy dialect for SQLite that runs each statement on the event loop.

Why: aiosqlite runs every call on a thread of its own, and SQLAlchemy's adapter makes
about four calls per statement (cursor, execute, fetchall, close). Each is a hand-off
to that thread and back through the event loop, which costs far more CPU than the
statement itself: the bot's statements are small, on a local file in WAL mode, and
take microseconds. This dialect is SQLAlchemy's own ``pysqlite`` dialect marked as
async, so ``create_async_engine`` accepts it; inside SQLAlchemy's greenlet the plain
``sqlite3`` calls simply run, with no hand-off at all.

The one thing that must not run on the loop is waiting for a lock. Another process
(a CLI import, say) may hold SQLite's write lock for seconds, and a blocking wait
would freeze the bot. So the connection's own busy timeout is 0: a statement that
finds the database locked fails at once, and is then retried on a worker thread that
waits up to ``busy_timeout_ms`` (the loop serves other updates meanwhile; they wait
for the pool, not for the file). Reads in WAL mode never find it locked, and our
transactions take the write lock up front (``BEGIN IMMEDIATE``, ``do_begin``),
so the retry is always of a statement that has done nothing yet.

Long reads (reports over years of contacts) should not run here either; they use
aiosqlite's threads (``storage.readonly``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util.concurrency import await_, in_greenlet

DRIVER = "inline"
DEFAULT_BUSY_TIMEOUT_MS = 10_000

_T = TypeVar("_T")


def is_busy(error: sqlite3.OperationalError) -> bool:
    """Whether ``error`` is SQLite's "database is locked" (SQLITE_BUSY, any variant)."""
    code = getattr(error, "sqlite_errorcode", None)  # None: raised by Python, not SQLite
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


class InlineConnection(sqlite3.Connection):
    """A ``sqlite3`` connection whose statements wait for a lock off the event loop."""

    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS

    def cursor(self, factory: Any = None) -> Any:
        """A cursor that retries a locked statement on a worker thread."""
        return super().cursor(factory or InlineCursor)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        """``cursor().execute(...)``: sqlite3's own shortcut would bypass ``cursor``."""
        return self.cursor().execute(sql, parameters)

    def commit(self) -> None:
        """Commits; a locked commit (rollback-journal mode only) waits like a statement."""
        _retrying(self, super().commit)

    def wait_for_lock(self, call: Callable[[], _T]) -> _T:
        """Runs ``call`` with the full busy timeout (SQLite sleeps until the lock is free)."""
        self.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        try:
            return call()
        finally:
            self.execute("PRAGMA busy_timeout=0")


class InlineCursor(sqlite3.Cursor):
    """Runs statements at once; on "database is locked", waits for the lock on a thread.

    A result handed out of SQLAlchemy's greenlet to async code (``AsyncSession.execute``)
    is read into memory first, as SQLAlchemy's aiosqlite adapter does: it may be read
    after its transaction, when the connection already serves someone else.
    """

    _buffer: deque[Any] | None = None

    def execute(self, sql: str, parameters: Any = (), /) -> InlineCursor:
        """Executes ``sql``; see the module docstring for the locked case."""
        return _retrying(
            self.connection, lambda: super(InlineCursor, self).execute(sql, parameters)
        )

    def executemany(self, sql: str, parameters: Any, /) -> InlineCursor:
        """Executes ``sql`` for each parameter set; a locked start waits as ``execute``."""
        rows = list(parameters)  # a generator could not be replayed on a retry
        return _retrying(self.connection, lambda: super(InlineCursor, self).executemany(sql, rows))

    async def _async_soft_close(self) -> None:
        """Called by SQLAlchemy before a result leaves the greenlet: buffer its rows."""
        if self.description is not None and self._buffer is None:
            self._buffer = deque(super().fetchall())

    def fetchone(self) -> Any:
        """The next row, from the buffer once there is one."""
        if self._buffer is None:
            return super().fetchone()
        return self._buffer.popleft() if self._buffer else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to ``size`` rows (``arraysize`` by default)."""
        count = self.arraysize if size is None else size
        if self._buffer is None:
            return super().fetchmany(count)
        return [self._buffer.popleft() for _ in range(min(count, len(self._buffer)))]

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        if self._buffer is None:
            return super().fetchall()
        rows = list(self._buffer)
        self._buffer.clear()
        return rows


async def _nothing() -> None:
    return None


def _retrying(connection: Any, call: Callable[[], _T]) -> _T:
    try:
        result = call()
        if in_greenlet():
            # AsyncConnection.execute insists the driver awaited something. This await
            # completes at once: two greenlet switches, no trip through the event loop.
            await_(_nothing())
        return result
    except sqlite3.OperationalError as error:
        if not is_busy(error) or not isinstance(connection, InlineConnection):
            raise
    waiting = connection.wait_for_lock
    if in_greenlet():  # the usual case: inside SQLAlchemy's async session
        return await_(asyncio.to_thread(waiting, call))
    return waiting(call)  # plain sync use (a test, a script): just wait here


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """``sqlite+inline://``: the pysqlite dialect, usable by ``create_async_engine``."""

    driver = DRIVER
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        """An asyncio-aware pool: a session waits for the connection without blocking."""
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    def do_begin(self, dbapi_connection: Any) -> None:
        """``BEGIN IMMEDIATE``: a transaction takes the write lock before its first read,
        so it can never fail half-way with "database is locked" when it comes to write."""
        dbapi_connection.execute("BEGIN IMMEDIATE")

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        """Opens an ``InlineConnection`` that never waits for a lock on the loop."""
        cparams["factory"] = InlineConnection
        cparams["check_same_thread"] = False  # a locked statement is retried on a thread
        cparams["timeout"] = 0
        cparams["isolation_level"] = None  # we emit BEGIN ourselves
        return super().connect(*cargs, **cparams)


class WalCheckpointer:
    """Copies the WAL back into the database file on a worker thread.

    SQLite checkpoints by itself when a commit finds the WAL past 1,000 pages, inside
    that commit: here on the event loop, with an fsync, and every update in flight
    waited for it (tens of milliseconds). ``Database.
    checkpoint_off_the_loop`` turns that off for the bot's connection; this runs a
    PASSIVE checkpoint instead, on a connection of its own, from the dispatcher's tick.
    A passive checkpoint copies what no reader still needs and never waits for, or
    blocks, a transaction.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    async def __call__(self) -> int:
        """Checkpoints; returns how many WAL frames are now in the database file."""
        return await asyncio.to_thread(self._checkpoint)

    def _checkpoint(self) -> int:
        # A connection each time: nothing to close at shutdown, and opening one costs
        # far less than the checkpoint's fsync.
        connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            _busy, _frames, done = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.OperationalError as error:
            if is_busy(error):  # another checkpoint (a CLI closing) is at it: next tick
                return 0
            raise
        finally:
            connection.close()
        return int(done)


def truncate_wal(path: str, timeout: float = DEFAULT_BUSY_TIMEOUT_MS / 1000) -> bool:
    """Checkpoints the whole WAL into the database file and truncates the WAL to zero
    bytes (blocking: call it on a thread). Waits up to ``timeout`` for readers of older
    pages; False when they kept it busy."""
    connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        busy, _frames, _done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError as error:
        if is_busy(error):
            return False
        raise
    finally:
        connection.close()
    return int(busy) == 0


registry.register(f"sqlite.{DRIVER}", __name__, "InlineSQLiteDialect")
dialect = InlineSQLiteDialect
