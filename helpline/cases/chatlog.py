"""Which messages are in a resident's private chat, so ``/wis`` can delete them.

Only ids and times are kept (table ``chat_message``) — never text. Telegram lets a bot
delete messages of a private chat for 48 hours, so older ids are pruned: they would be
of no use, and keeping less is the point.

Recorded where messages pass: the resident's incoming updates (``handlers.resident``),
the bot's direct replies to residents (``handlers.resident``, ``handlers.relay``) and
the outbox dispatcher (messages to a resident's chat; staff chats are not recorded).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.cases.core import Clock
from storage.db import Database
from storage.repository.chat_messages import (
    chat_message_ids,
    defer_messages,
    forget_chat_messages,
    prune_chat_messages,
    remember_messages,
)

DELETABLE_FOR = timedelta(hours=48)  # Telegram's limit for deleting in a private chat
PRUNE_EVERY = timedelta(minutes=10)


def is_private(chat_id: int) -> bool:
    """Private chats have the user's (positive) id; groups and channels are negative."""
    return chat_id > 0


def _recordable(chat_id: int, message_ids: Iterable[int]) -> list[int]:
    """The ids worth keeping: real ones (a failed send has none), of a private chat."""
    return [m for m in message_ids if m] if is_private(chat_id) else []


async def deletable_ids(session: AsyncSession, *, chat_id: int, now: datetime) -> list[int]:
    """The recorded messages of the chat that Telegram still lets the bot delete (/wis)."""
    return await chat_message_ids(session=session, chat_id=chat_id, since=now - DELETABLE_FOR)


async def forget(session: AsyncSession, *, chat_id: int) -> None:
    """Drops the chat's recorded message ids, after /wis deleted what it could."""
    await forget_chat_messages(session=session, chat_id=chat_id)


async def remember(
    db: Database, *, chat_id: int, message_ids: Iterable[int], outgoing: bool, now: datetime
) -> None:
    """Records message ids of a private chat in a transaction of their own.

    Called after a send (the id exists only then); a failure here must not undo the
    send, and the caller logs nothing about the chat's content.
    """
    ids = _recordable(chat_id, message_ids)
    if ids:
        async with db.session() as session:
            await remember_messages(
                session=session, chat_id=chat_id, message_ids=ids, outgoing=outgoing, now=now
            )


async def remember_in(
    session: AsyncSession,
    *,
    chat_id: int,
    message_ids: Iterable[int],
    outgoing: bool,
    now: datetime,
) -> None:
    """Records message ids of a private chat in the caller's transaction.

    For ids known before the update's one transaction commits (the incoming message,
    a safety reply sent first), so they cost no transaction of their own.
    """
    ids = _recordable(chat_id, message_ids)
    if ids:
        await remember_messages(
            session=session, chat_id=chat_id, message_ids=ids, outgoing=outgoing, now=now
        )


def remember_later(
    db: Database, *, chat_id: int, message_ids: Iterable[int], outgoing: bool, now: datetime
) -> None:
    """Records message ids of a private chat with the database's next transaction.

    For the ids of replies sent after the update's transaction committed: they need no
    transaction of their own (``storage.repository.chat_messages.defer_messages``).
    """
    defer_messages(db, chat_id=chat_id, message_ids=message_ids, outgoing=outgoing, now=now)


class ChatLogPruner:
    """A dispatcher hook that drops ids older than 48 hours, at most every ten minutes."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        self._last: datetime | None = None

    async def __call__(self) -> int:
        """Prunes when due; returns how many ids were dropped."""
        now = self.clock()
        if self._last is not None and now - self._last < PRUNE_EVERY:
            return 0
        self._last = now
        async with self.db.session() as session:
            return await prune_chat_messages(session=session, before=now - DELETABLE_FOR)
