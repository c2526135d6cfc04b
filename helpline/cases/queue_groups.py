"""The queue groups linked from Telegram (``/koppel``), known without a transaction per send.

Cards, alerts and notes find their group with ``queue_chat`` below, which is
synchronous and runs inside other transactions. It reads this in-memory copy of the
``queue_chat`` table:

- refreshed before every update and on every dispatcher tick when older than
  ``MAX_AGE`` seconds, so a standby instance that takes over sends to the groups the
  other instance linked, and a change made outside this process is seen soon;
- reloaded at once after a ``/koppel`` in this process.

One copy per database, shared by every application built on it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from weakref import WeakKeyDictionary

from helpline.cases.core import Services
from storage import repository as repo
from storage.db import Database

MAX_AGE = 5.0  # seconds a loaded copy is used before the table is read again


class QueueGroups:
    """The ``queue_chat`` rows of one database, loaded when missing or old."""

    def __init__(self, db: Database, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.db, self.monotonic = db, monotonic
        self.linked: dict[str, int] = {}
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return self._loaded_at is not None and self.monotonic() - self._loaded_at <= MAX_AGE

    async def refresh(self, *, force: bool = False) -> None:
        """Reads the table when the copy is missing or older than ``MAX_AGE`` (or ``force``).

        Concurrent callers wait for one read instead of each making their own.
        """
        if not force and self._fresh():
            return
        async with self._lock:
            if not force and self._fresh():
                return
            started = self.monotonic()
            async with self.db.session() as session:
                self.linked = await repo.linked_queue_chats(session=session)
            self._loaded_at = started


_GROUPS: WeakKeyDictionary[Database, QueueGroups] = WeakKeyDictionary()


def queue_groups(db: Database) -> QueueGroups:
    """The shared copy of ``db``'s linked queue groups."""
    groups = _GROUPS.get(db)
    if groups is None:
        groups = _GROUPS[db] = QueueGroups(db)
    return groups


def queue_chats(services: Services) -> dict[str, int]:
    """Every queue's group chat: those linked with ``/koppel``,
    and the QUEUE_CHATS setting, which wins where it names a queue."""
    return queue_groups(services.db).linked | services.settings.queue_chats


def queue_chat(services: Services, queue: str) -> int | None:
    """The group chat of a queue; the triage queue's group when it has none.

    Everything sent to a queue's group finds the chat here.
    """
    chats = queue_chats(services)
    return chats.get(queue) or chats.get(services.config.triage_queue)
