"""Reminders of follow-up calls with an injected clock: lead and due time, catch-up after
downtime (nothing lost, nothing doubled), and 429 / 403 / timeouts from the fake Bot API."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from helpline.dispatcher import Dispatcher
from helpline.testing import FakeTelegram
from storage import repository as repo
from storage.db import Database
from storage.models import CallStatus
from tests.bot_harness import running_app
from tests.calls_helpers import (
    SANNE,
    advance_to,
    calls,
    claimed_case,
    local,
    reminders,
    texts_in,
    tick,
)


async def _plan(sanne: Any, when: str) -> None:
    await sanne.say(f"/plan HH-2026-00001 {when}")
    await sanne.press("Inplannen")


async def test_reminders_at_lead_time_and_due_time_once_each(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await _plan(sanne, "morgen 10:00")
        await advance_to(h, local(2026, 5, 5, 9, 29))
        assert not texts_in(h, SANNE.id, "Straks bellen")
        await advance_to(h, local(2026, 5, 5, 9, 30))
        assert len(texts_in(h, SANNE.id, "Straks bellen")) == 1
        await tick(h)
        await advance_to(h, local(2026, 5, 5, 9, 59))
        assert len(texts_in(h, SANNE.id, "Straks bellen")) == 1
        assert not texts_in(h, SANNE.id, "Nu bellen")
        await advance_to(h, local(2026, 5, 5, 10, 0))
        await tick(h)
        [due] = texts_in(h, SANNE.id, "Nu bellen")
        assert "Later verstuurd" not in due
        assert [r.status for r in await reminders(h)] == ["sent", "sent"]


async def test_catch_up_after_downtime_nothing_lost_nothing_doubled(
    db: Database, tmp_path: Path
) -> None:
    telegram = FakeTelegram()
    async with running_app(db, tmp_path, telegram) as h:
        sanne, _ = await claimed_case(h)
        for when in ("morgen 07:00", "morgen 10:00", "morgen 10:30", "morgen 14:00"):
            await _plan(sanne, when)
        coordination = h.group("coordinatie")
    # The bot is down from Monday 09:00 until Tuesday 11:00.
    async with running_app(db, tmp_path, telegram) as h2:
        h2.clock.now = local(2026, 5, 5, 11, 0)
        await tick(h2)
        await tick(h2)  # a second tick (or a second instance) sends nothing again
        due = texts_in(h2, SANNE.id, "Nu bellen")
        assert len(due) == 2  # 10:00 and 10:30: late, but still useful
        assert all("Later verstuurd dan gepland" in text for text in due)
        assert "Gepland om 10:00" in due[0] and "Gepland om 10:30" in due[1]
        assert not texts_in(h2, SANNE.id, "Straks bellen")  # lead reminders no longer useful
        [lapsed] = texts_in(h2, coordination, "Door een storing")
        assert "vandaag om 07:00" in lapsed  # 4 hours late: missed, shown to the coordinator
        statuses = [c.status for c in await calls(h2)]
        assert statuses == [
            CallStatus.lapsed,
            CallStatus.scheduled,
            CallStatus.scheduled,
            CallStatus.scheduled,
        ]
        by_call: dict[int, list[str]] = {}
        for reminder in await reminders(h2):
            by_call.setdefault(reminder.call_id, []).append(reminder.status)
        assert by_call == {
            1: ["expired", "missed"],
            2: ["expired", "late"],
            3: ["expired", "late"],
            4: ["pending", "pending"],  # 13:30 and 14:00: still ahead, untouched
        }
        await advance_to(h2, local(2026, 5, 5, 13, 30))
        [lead] = texts_in(h2, SANNE.id, "Straks bellen")
        assert "Later verstuurd" not in lead


async def test_series_after_long_downtime_continues_and_reports_skipped(
    db: Database, tmp_path: Path
) -> None:
    telegram = FakeTelegram()
    async with running_app(db, tmp_path, telegram) as h:
        sanne, _ = await claimed_case(h)
        await _plan(sanne, "morgen 10:00 dagelijks")
    async with running_app(db, tmp_path, telegram) as h2:
        h2.clock.now = local(2026, 5, 8, 12, 0)  # Friday noon: down since Monday
        await tick(h2)
        await tick(h2)
        [lapsed] = texts_in(h2, h2.group("coordinatie"), "Door een storing")
        assert "3 herhaalde belafspraken" in lapsed  # Wed, Thu, Fri
        assert "zaterdag 9 mei om 10:00" in lapsed or "morgen om 10:00" in lapsed
        scheduled = [c for c in await calls(h2) if c.status == CallStatus.scheduled]
        assert [c.due_at for c in scheduled] == [local(2026, 5, 9, 10, 0)]
        await advance_to(h2, local(2026, 5, 9, 10, 0))
        await tick(h2)
        assert len(texts_in(h2, SANNE.id, "Nu bellen")) == 1
        assert len([c for c in await calls(h2) if c.status == CallStatus.scheduled]) == 2


async def test_flood_control_429_is_retried_after_the_wait(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await _plan(sanne, "morgen 10:00")
        h.telegram.fail_next("sendMessage", error_code=429, retry_after=30, chat_id=SANNE.id)
        await advance_to(h, local(2026, 5, 5, 9, 30))
        assert not texts_in(h, SANNE.id, "Straks bellen")
        await advance_to(h, local(2026, 5, 5, 9, 30, 20))
        assert not texts_in(h, SANNE.id, "Straks bellen")
        await advance_to(h, local(2026, 5, 5, 9, 30, 31))
        await tick(h)
        assert len(texts_in(h, SANNE.id, "Straks bellen")) == 1


async def test_timeout_and_server_error_are_retried_with_backoff(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await _plan(sanne, "morgen 10:00")
        h.telegram.fail_next("sendMessage", error_code=0, chat_id=SANNE.id)  # timeout
        h.telegram.fail_next("sendMessage", error_code=502, chat_id=SANNE.id)
        await advance_to(h, local(2026, 5, 5, 9, 30))
        await advance_to(h, local(2026, 5, 5, 9, 30, 5))
        await advance_to(h, local(2026, 5, 5, 9, 31))
        await tick(h)
        assert len(texts_in(h, SANNE.id, "Straks bellen")) == 1


async def test_blocked_assignee_stops_reminders_and_coordinators_hear(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await _plan(sanne, "morgen 10:00")
        await _plan(sanne, "donderdag 10:00")
        h.telegram.block(SANNE.id)
        await advance_to(h, local(2026, 5, 5, 9, 30))
        await tick(h)  # the notice was written while the batch was being sent
        [notice] = texts_in(h, h.group("coordinatie"), "komen niet aan")
        assert "Sanne" in notice and "HH-2026-00001" in notice
        attempts = len([c for c in h.telegram.calls if c.params.get("chat_id") == SANNE.id])
        await advance_to(h, local(2026, 5, 5, 10, 0))
        await advance_to(h, local(2026, 5, 7, 10, 0))
        after = len([c for c in h.telegram.calls if c.params.get("chat_id") == SANNE.id])
        assert after == attempts  # no further reminders to that chat
        assert {r.status for r in await reminders(h)} <= {"sent", "blocked"}


class _CountingBot:
    """A stand-in bot that records how many sends run at once per chat."""

    def __init__(self) -> None:
        self.in_flight: dict[int, int] = {}
        self.most: dict[int, int] = {}
        self.order: list[int] = []

    async def _post(self, endpoint: str, data: dict[str, Any]) -> Any:
        # The dispatcher sends through PTB's request path (``safe_send.send_text``).
        assert endpoint == "sendMessage"
        chat_id = data["chat_id"]
        self.in_flight[chat_id] = self.in_flight.get(chat_id, 0) + 1
        self.most[chat_id] = max(self.most.get(chat_id, 0), self.in_flight[chat_id])
        await asyncio.sleep(0)  # let other sends run meanwhile
        self.in_flight[chat_id] -= 1
        self.order.append(chat_id)
        return {"message_id": len(self.order)}


async def test_rows_of_one_chat_are_never_sent_concurrently(db: Database) -> None:
    from tests.calls_helpers import MONDAY_9

    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    dispatcher = Dispatcher(db, lambda: MONDAY_9, batch=50)
    dispatcher.per_chat_gap, dispatcher.sleep = 1.0, fake_sleep
    async with db.session() as session:
        for n in range(30):
            chat = 111 if n % 3 == 0 else 200 + n
            await repo.enqueue(
                session=session, chat_id=chat, text=f"m{n}", purpose="t", now=MONDAY_9
            )
    bot = _CountingBot()
    assert await dispatcher.run_once(bot) == 30  # type: ignore[arg-type]
    assert max(bot.most.values()) == 1
    assert bot.order.count(111) == 10
    assert len(waits) == 9 and all(0 < w <= 1.0 for w in waits)  # only the shared chat waits


async def test_dispatcher_wakes_to_word_ahead_then_to_send(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await _plan(sanne, "morgen 10:00")
        # A minute ahead the reminder is worded into the outbox, due at its own time.
        assert await h.services.dispatcher.next_due() == local(2026, 5, 5, 9, 29)
        await advance_to(h, local(2026, 5, 5, 9, 29))
        assert not texts_in(h, SANNE.id, "Straks bellen")
        assert await h.services.dispatcher.next_due() == local(2026, 5, 5, 9, 30)
        await advance_to(h, local(2026, 5, 5, 9, 30))
        assert len(texts_in(h, SANNE.id, "Straks bellen")) == 1
        assert await h.services.dispatcher.next_due() == local(2026, 5, 5, 9, 59)
        h.clock.now += timedelta(days=1)
        await tick(h)
        assert await h.services.dispatcher.next_due() is None


async def test_reminder_worded_ahead_is_withdrawn_when_the_call_is_settled(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await _plan(sanne, "morgen 10:00")
        await advance_to(h, local(2026, 5, 5, 9, 30))
        await advance_to(h, local(2026, 5, 5, 9, 59, 30))  # the due reminder is staged
        await sanne.press("Gebeld")  # called a bit early, from the lead reminder
        await advance_to(h, local(2026, 5, 5, 10, 0))
        await tick(h)
        assert not texts_in(h, SANNE.id, "Nu bellen")


async def test_two_takers_never_get_the_same_reminder(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        for when in ("morgen 10:00", "morgen 11:00", "morgen 12:00"):
            await _plan(sanne, when)
    later = local(2026, 5, 6, 9, 0)

    async def take() -> list[int]:
        async with db.session() as session:
            taken = await repo.take_due_reminders(session=session, now=later, limit=4)
            for item in taken:
                await repo.finish_reminder(
                    session=session, reminder=item.reminder, status="sent", now=later
                )
            return [item.reminder.id or 0 for item in taken]

    first, second, third = await asyncio.gather(take(), take(), take())
    ids = first + second + third
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 6  # each of the six exactly once


class _StubQueue:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def run_once(self, callback: Any, when: float, name: str) -> None:
        self.delays.append(when)


class _StubApp:
    running = True

    def __init__(self) -> None:
        self.job_queue = _StubQueue()


async def test_wake_up_is_scheduled_for_the_next_due_second(db: Database) -> None:
    from tests.calls_helpers import MONDAY_9

    due = [MONDAY_9 + timedelta(seconds=1.5)]

    async def next_due() -> Any:
        return due[0]

    dispatcher = Dispatcher(db, lambda: MONDAY_9)
    dispatcher.wakeups.append(next_due)
    app = _StubApp()
    await dispatcher.schedule_wakeup(app)  # type: ignore[arg-type]
    await dispatcher.schedule_wakeup(app)  # type: ignore[arg-type]  # already set: not twice
    assert app.job_queue.delays == [1.5]
    due[0] = MONDAY_9 + timedelta(seconds=0.5)  # something earlier came up
    await dispatcher.schedule_wakeup(app)  # type: ignore[arg-type]
    assert app.job_queue.delays == [1.5, 0.5]
    fresh = Dispatcher(db, lambda: MONDAY_9)
    fresh.wakeups.append(next_due)
    due[0] = MONDAY_9 + timedelta(minutes=5)  # the repeating job comes first
    await fresh.schedule_wakeup(app)  # type: ignore[arg-type]
    assert app.job_queue.delays == [1.5, 0.5]
