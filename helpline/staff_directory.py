"""Who is active staff, known without a transaction on every private message.

Every private message is routed first: staff to their call prompts and relay, everyone
else to the intake. Asking the database each time cost a transaction of its own on
almost every update, and most updates are residents'. This directory keeps the set of
active staff Telegram ids in memory:

- exact for changes made in this process (the ``/staf`` command, a test): a
  committed session that added, changed or deleted a ``Staff`` row
  (``storage.staff_changes``) makes every directory load the set again;
- at most ``MAX_AGE`` seconds behind for changes by another process (the CLI's
  ``helpline staff add``): an older set is loaded again.

It routes only. Each staff handler reads the staff row itself before it acts, so a
member removed a moment ago is never let in by a stale set; one added by the CLI a
moment ago is answered as a resident for at most ``MAX_AGE`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from storage import repository as repo
from storage.db import Database
from storage.staff_changes import staff_generation

MAX_AGE = 5.0  # seconds; the CLI's staff changes reach a running bot within this


class StaffDirectory:
    """The active staff ids of one database, loaded when missing, changed or old."""

    def __init__(self, db: Database, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.db, self.monotonic = db, monotonic
        self._ids: frozenset[int] | None = None
        self._loaded_at = 0.0
        self._generation = -1

    async def is_staff(self, telegram_user_id: int) -> bool:
        """Whether this Telegram user is active staff (see the module docstring)."""
        now = self.monotonic()
        if (
            self._ids is None
            or self._generation != staff_generation()
            or now - self._loaded_at > MAX_AGE
        ):
            generation = staff_generation()  # before the read: a change during it reloads
            async with self.db.session() as session:
                self._ids = await repo.active_staff_ids(session=session)
            self._loaded_at, self._generation = now, generation
        return telegram_user_id in self._ids
