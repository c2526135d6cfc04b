"""The outbox dispatcher: delivers stored messages and marks them sent only after Telegram accepted.

It runs as a repeating job (a few seconds) and is kicked right after a handler
commits, so cards reach the queue group at once. Rows are taken atomically
(``storage.repository.claim_due``), so two instances never send the same row.

Telegram allows about one message per second in one chat: rows of the same chat
are sent one after the other (never concurrently), ``per_chat_gap`` apart, while
different chats are sent concurrently. PTB's AIORateLimiter keeps the overall and
per-group limits. When work falls due between two ticks (``wakeups``: the next
reminder, a retry), ``tick`` schedules a one-off run for that moment.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from helpline.cases.core import Clock
from helpline.safe_send import send_text
from storage import repository as repo
from storage.db import Database
from storage.models import Outbox
from storage.repository.chat_messages import remember_messages
from storage.repository.delivery import mark_sent_many, resident_chats

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Delivery is at least once: a crash between Telegram accepting a message and the row being
# marked sent (a few milliseconds) sends it again after the restart; a second card or alert
# is harmless, a lost one is not. These purposes are at most once instead: a call reminder
# (to the assignee, or the notice to the resident) that may have arrived is not sent again;
# the row is marked failed with "outcome unknown", so it can be looked into.
AT_MOST_ONCE_PURPOSES = frozenset({"call_reminder", "call_notice"})


def backoff(attempts: int) -> timedelta:
    """Waiting time before retry number ``attempts``: 2, 4, 8, ... seconds, at most 5 minutes."""
    return timedelta(seconds=min(2**attempts, 300))


class Dispatcher:
    """Sends due outbox rows through the (rate-limited) bot."""

    def __init__(self, db: Database, clock: Clock, batch: int = 100) -> None:
        self.db, self.clock, self.batch = db, clock, batch
        self._lock = asyncio.Lock()
        self._pending_kick = False
        # Work that writes outbox rows on each tick (escalations, reminders), run before sending.
        self.hooks: list[Callable[[], Awaitable[int]]] = []
        # Called when a chat blocked the bot (403), e.g. to tell the holder of the request.
        self.on_blocked: Callable[[Outbox], Awaitable[None]] | None = None
        # Told the requests of at-most-once rows given up after a crash (may not have arrived).
        self.on_given_up: Callable[[list[int | None]], Awaitable[None]] | None = None
        # Further 403 listeners (e.g. stop call reminders to that chat).
        self.blocked_hooks: list[Callable[[Outbox], Awaitable[None]]] = []
        # When the next piece of work falls due (None: nothing planned).
        self.wakeups: list[Callable[[], Awaitable[datetime | None]]] = []
        # Seconds between two messages to the same chat (0 in tests: no waiting).
        self.per_chat_gap = 0.0
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._last_sent: dict[int, float] = {}
        self._wakeup_at: datetime | None = None
        # False once the bot is stopping: what is not sent yet waits in the outbox for the
        # next start, instead of holding up the stop (a queue group takes 20 a minute).
        self.keep_sending: Callable[[], bool] = lambda: True

    async def recover(self) -> None:
        """At start-up (as the active instance): resends what a crashed run left in flight."""
        async with self.db.session() as session:
            retried, given_up = await repo.recover_in_flight(
                session=session, now=self.clock(), at_most_once=AT_MOST_ONCE_PURPOSES
            )
        if retried or given_up:
            logger.warning(
                "outbox after a crash: %s message(s) sent again, %s not (at most once)",
                retried,
                len(given_up),
            )
        if given_up and self.on_given_up is not None:
            await self.on_given_up(given_up)

    def kick(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Schedules a run now (after a commit that wrote outbox rows).

        A kick only delivers: the hooks (escalations, reminders) depend on the clock,
        not on the update, and run on the regular tick; running them on every kick
        would cost two more transactions per update.
        """
        if application.running and not self._pending_kick:
            self._pending_kick = True
            application.create_task(self.run_once(application.bot, hooks=False), name="outbox-kick")

    async def run_once(self, bot: Bot, *, hooks: bool = True) -> int:
        """Runs the hooks (unless ``hooks`` is False), then sends every due row.

        Returns:
            How many rows were sent.
        """
        self._pending_kick = False
        sent = 0
        async with self._lock:
            for hook in self.hooks if hooks else ():
                try:
                    await hook()
                except Exception:  # one failing hook must not stop delivery
                    logger.exception("dispatcher hook failed")
            while True:
                async with self.db.session() as session:
                    rows = await repo.claim_due(session=session, now=self.clock(), limit=self.batch)
                if not rows:
                    return sent
                by_chat: dict[int, list[Outbox]] = defaultdict(list)
                for row in rows:
                    by_chat[row.chat_id].append(row)
                results = await asyncio.gather(
                    *(self._deliver_chat(bot, chat_rows) for chat_rows in by_chat.values())
                )
                sent += sum(results)
                if len(rows) < self.batch or not self.keep_sending():
                    return sent

    async def tick(self, application: Application[Any, Any, Any, Any, Any, Any]) -> int:
        """One regular run, then a one-off run scheduled for work due before the next tick."""
        sent = await self.run_once(application.bot)
        await self.schedule_wakeup(application)
        return sent

    async def next_due(self) -> datetime | None:
        """The earliest moment any wake-up source has work (None: nothing planned)."""
        times = []
        for source in self.wakeups:
            try:
                moment = await source()
            except Exception:  # a failing source must not stop delivery
                logger.exception("dispatcher wake-up source failed")
                continue
            if moment is not None:
                times.append(moment)
        return min(times, default=None)

    async def schedule_wakeup(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Plans a one-off run at the next due moment if it comes before the next tick."""
        queue = application.job_queue
        if queue is None or not application.running:
            return
        moment = await self.next_due()
        now = self.clock()
        if moment is None or (self._wakeup_at is not None and now < self._wakeup_at <= moment):
            return  # nothing planned, or an earlier wake-up is already set
        delay = max((moment - now).total_seconds(), 0.0)
        if delay > 60:  # the repeating job comes long before that
            return
        self._wakeup_at = moment

        async def wake(_: object) -> None:
            self._wakeup_at = None
            await self.tick(application)

        queue.run_once(wake, when=delay, name="outbox-wakeup")

    async def _deliver_chat(self, bot: Bot, rows: list[Outbox]) -> int:
        """Sends one chat's rows in order, one at a time (Telegram: ~1 message/s per chat).

        What Telegram accepted is marked sent before any wait and when the chat is done,
        never only at the end of the whole batch: a crash resends what was accepted but not
        yet marked, so that window must stay one send long, not a batch of paced chats.
        Returns how many rows Telegram accepted.
        """
        sent: list[tuple[Outbox, int]] = []
        recorded = 0
        for index, row in enumerate(rows):
            if not self.keep_sending():
                await self._release(rows[index:])
                break
            if self.per_chat_gap > 0:
                last = self._last_sent.get(row.chat_id)
                wait = self.per_chat_gap - (time.monotonic() - last) if last else 0.0
                if wait > 0:
                    await self._record_sent(sent)
                    recorded, sent = recorded + len(sent), []
                    await self.sleep(wait)
            message_id = await self._deliver(bot, row)
            if message_id is not None:
                sent.append((row, message_id))
            if self.per_chat_gap > 0:
                self._forget_old_chats()
                self._last_sent[row.chat_id] = time.monotonic()
        await self._record_sent(sent)
        return recorded + len(sent)

    async def _release(self, rows: list[Outbox]) -> None:
        """Puts rows not tried back in line for the next start."""
        async with self.db.session() as session:
            released = await repo.release(session=session, outbox_ids=[r.id for r in rows if r.id])
        logger.info("stopping: %s outbox message(s) left for the next start", released)

    def _forget_old_chats(self) -> None:
        if len(self._last_sent) > 10_000:
            horizon = time.monotonic() - self.per_chat_gap
            self._last_sent = {c: t for c, t in self._last_sent.items() if t > horizon}

    async def _deliver(self, bot: Bot, row: Outbox) -> int | None:
        """Sends one row; the message id when Telegram accepted it, else None (retry/fail)."""
        assert row.id is not None
        if row.purpose in AT_MOST_ONCE_PURPOSES:
            # Noted before the call: after a crash only a row that may have reached Telegram
            # is given up; one that was taken but not yet tried is simply sent.
            async with self.db.session() as session:
                await repo.mark_attempted(session=session, outbox_id=row.id)
        try:
            message_id = await send_text(bot, row.chat_id, row.text, row.reply_markup or None)
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            await self._retry(row, timedelta(seconds=seconds), "429 retry after")
            return None
        except (Forbidden, BadRequest) as exc:  # blocked, or a message Telegram will never take
            await self._fail(row, f"{type(exc).__name__}: {exc.message}"[:200])
            if isinstance(exc, Forbidden):
                await self._blocked(row)
            return None
        except (TimedOut, NetworkError) as exc:  # 5xx and connection trouble: try again later
            await self._retry(row, backoff(row.attempts), type(exc).__name__)
            return None
        return message_id

    async def _record_sent(self, accepted: list[tuple[Outbox, int]]) -> None:
        """Marks the rows of one batch sent, in one transaction (after Telegram accepted).

        A crash between the send and this commit leaves the rows "sending"; start-up
        recovery then resends them, or gives up on the at-most-once purposes.
        """
        if not accepted:
            return
        async with self.db.session() as session:
            await mark_sent_many(
                session=session,
                sent=[(row.id or 0, message_id) for row, message_id in accepted],
                now=self.clock(),
            )
            residents = await resident_chats(
                session=session, chat_ids=[row.chat_id for row, _ in accepted]
            )
            for row, message_id in accepted:
                # A resident's private chat: remember the id for their /wis (cases.chatlog).
                if row.chat_id in residents:
                    await remember_messages(
                        session=session,
                        chat_id=row.chat_id,
                        message_ids=[message_id],
                        outgoing=True,
                        now=self.clock(),
                    )
                if row.purpose == "card" and row.request_id is not None:
                    await repo.set_card(
                        session=session,
                        request_id=row.request_id,
                        chat_id=row.chat_id,
                        message_id=message_id,
                    )

    async def _blocked(self, row: Outbox) -> None:
        listeners = [self.on_blocked] if self.on_blocked is not None else []
        for listener in listeners + self.blocked_hooks:
            try:
                await listener(row)
            except Exception:  # one failing listener must not stop the others
                logger.exception("blocked-chat listener failed for outbox %s", row.id)

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
