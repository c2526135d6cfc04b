"""One active instance per database: a PostgreSQL advisory lock held for the process's life.

A standby instance waits for the lock; when the active one dies (even by SIGKILL) its
connection drops, PostgreSQL releases the lock, and the standby takes over. SQLite
is one machine and one file, so there the lock is a no-op.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

logger = logging.getLogger(__name__)

# An arbitrary, fixed 64-bit key: "helpline" in ASCII.
LOCK_KEY = 0x68656C706C696E65
CHECK_TIMEOUT = 3.0  # seconds: a lock connection that does not answer counts as gone


class LeaderLock:
    """Waits for, holds and releases the instance lock."""

    def __init__(self, db: Database, key: int = LOCK_KEY) -> None:
        self.db, self.key = db, key
        self._connection: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        """True once this process is the active instance."""
        return self._connection is not None or self.db.dialect != "postgresql"

    async def try_acquire(self) -> bool:
        """Takes the lock if free; keeps its connection open while held."""
        if self.held:
            return True
        connection = await self.db.engine.connect()
        got = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
        await connection.commit()  # the lock is session-level: it outlives the transaction
        if got:
            self._connection = connection
            return True
        await connection.close()
        return False

    async def acquire(
        self, *, poll_seconds: float = 2.0, on_wait: Callable[[], None] | None = None
    ) -> None:
        """Waits until this process is the active instance."""
        waited = False
        while not await self.try_acquire():
            if not waited and on_wait is not None:
                on_wait()
            waited = True
            await asyncio.sleep(poll_seconds)
        if waited:
            logger.info("standby instance took over: now active")

    async def still_held(self) -> bool:
        """Checks the lock's connection: False when it broke, and the lock went with it.

        A database restart or a network cut drops the connection while this process
        lives on; the standby then takes the lock, and this process must stop being
        active (``helpline run`` exits; systemd starts it again as the standby).
        """
        if self._connection is None:
            return self.db.dialect != "postgresql"
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):  # a cut network hangs, it does not fail
                await self._connection.execute(text("SELECT 1"))
                await self._connection.commit()
        except Exception:  # any failure means the session, and so the lock, may be gone
            logger.warning("the connection holding the instance lock is gone", exc_info=True)
            return False
        return True

    async def release(self) -> None:
        """Gives the lock up (on a clean shutdown)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                await connection.close()
        except Exception:  # the connection broke: the lock went with it
            logger.info("the instance lock's connection was already gone")
