"""The outbox dispatcher: delivers stored messages and marks them sent only after Telegram accepted.

It runs as a repeating job (a few seconds) and is kicked right after a handler
commits, so cards reach the queue group at once. Rows are taken atomically
(``storage.repository.claim_due``), so two instances never send the same row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from helpline.render import markup_from_json
from helpline.services import Clock
from storage import repository as repo
from storage.db import Database
from storage.models import Outbox
from storage.repository.chat_messages import is_resident_chat, remember_messages

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """Waiting time before retry number ``attempts``: 2, 4, 8, ... seconds, at most 5 minutes."""
    return timedelta(seconds=min(2**attempts, 300))


class Dispatcher:
    """Sends due outbox rows through the (rate-limited) bot."""

    def __init__(self, db: Database, clock: Clock, batch: int = 50) -> None:
        self.db, self.clock, self.batch = db, clock, batch
        self._lock = asyncio.Lock()
        self._pending_kick = False
        # Work that writes outbox rows on each tick (escalations, reminders), run before sending.
        self.hooks: list[Callable[[], Awaitable[int]]] = []
        # Called when a chat blocked the bot (403), e.g. to tell the holder of the request.
        self.on_blocked: Callable[[Outbox], Awaitable[None]] | None = None

    def kick(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Schedules a run now (after a commit that wrote outbox rows)."""
        if application.running and not self._pending_kick:
            self._pending_kick = True
            application.create_task(self.run_once(application.bot), name="outbox-kick")

    async def run_once(self, bot: Bot) -> int:
        """Sends every due row; returns how many were sent."""
        self._pending_kick = False
        sent = 0
        async with self._lock:
            for hook in self.hooks:
                try:
                    await hook()
                except Exception:  # one failing hook must not stop delivery
                    logger.exception("dispatcher hook failed")
            while True:
                async with self.db.session() as session:
                    rows = await repo.claim_due(session=session, now=self.clock(), limit=self.batch)
                if not rows:
                    return sent
                results = await asyncio.gather(*(self._deliver(bot, row) for row in rows))
                sent += sum(results)
                if len(rows) < self.batch:
                    return sent

    async def _deliver(self, bot: Bot, row: Outbox) -> bool:
        assert row.id is not None
        try:
            message = await bot.send_message(
                row.chat_id, row.text, reply_markup=markup_from_json(row.reply_markup)
            )
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            await self._retry(row, timedelta(seconds=seconds), "429 retry after")
            return False
        except (Forbidden, BadRequest) as exc:  # blocked, or a message Telegram will never take
            await self._fail(row, f"{type(exc).__name__}: {exc.message}"[:200])
            if isinstance(exc, Forbidden) and self.on_blocked is not None:
                await self.on_blocked(row)
            return False
        except (TimedOut, NetworkError) as exc:  # 5xx and connection trouble: try again later
            await self._retry(row, backoff(row.attempts), type(exc).__name__)
            return False
        async with self.db.session() as session:
            await repo.mark_sent(
                session=session, outbox_id=row.id, message_id=message.message_id, now=self.clock()
            )
            # A resident's private chat: remember the id for their /wis (helpline.chatlog).
            if row.chat_id > 0 and await is_resident_chat(session=session, chat_id=row.chat_id):
                await remember_messages(
                    session=session,
                    chat_id=row.chat_id,
                    message_ids=[message.message_id],
                    outgoing=True,
                    now=self.clock(),
                )
            if row.purpose == "card" and row.request_id is not None:
                await repo.set_card(
                    session=session,
                    request_id=row.request_id,
                    chat_id=row.chat_id,
                    message_id=message.message_id,
                )
        return True

    async def _retry(self, row: Outbox, wait: timedelta, error: str) -> None:
        assert row.id is not None
        if row.attempts >= MAX_ATTEMPTS:
            await self._fail(row, f"gave up after {row.attempts} attempts: {error}")
            return
        logger.info("outbox %s: %s, retry in %s", row.id, error, wait)
        async with self.db.session() as session:
            await repo.mark_retry(
                session=session, outbox_id=row.id, not_before=self.clock() + wait, error=error
            )

    async def _fail(self, row: Outbox, error: str) -> None:
        assert row.id is not None
        logger.warning("outbox %s to chat %s failed: %s", row.id, row.chat_id, error)
        async with self.db.session() as session:
            await repo.mark_failed(session=session, outbox_id=row.id, error=error)
