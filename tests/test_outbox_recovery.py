"""After a crash: what a dead sender left half-sent is sent again, except call reminders
(at most once), which the coordinators are told about instead of silence."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from helpline.testing import FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import Outbox, OutboxStatus
from tests.bot_harness import complete_intake, running_app

MIA = FakeUser(id=4101, first_name="Mia")


async def test_a_reminder_cut_off_by_a_crash_is_not_resent_but_reported(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), "Kan iemand boodschappen voor mij doen?")
        async with db.session() as session:
            request = await repo.latest_open_request(session=session, resident_id=1)
            assert request is not None
            now = h.clock()
            # A crashed run: a reminder it had started sending, and a card it had only taken.
            reminder = await repo.enqueue(
                session=session,
                now=now,
                chat_id=5555,
                text="Bel Mia om 10:00",
                purpose="call_reminder",
                request_id=request.id,
            )
            card = await repo.enqueue(
                session=session,
                now=now,
                chat_id=h.group("vrijwilligers"),
                text="Kaart",
                purpose="card",
            )
            await repo.claim_due(session=session, now=now)
            await repo.mark_attempted(session=session, outbox_id=reminder.id or 0)
        await h.services.dispatcher.recover()
        await h.services.dispatcher.run_once(h.app.bot)

        assert h.telegram.sent(5555) == [], "a reminder is never sent twice"
        assert any(m["text"] == "Kaart" for m in h.telegram.sent(h.group("vrijwilligers")))
        [alert] = [
            m for m in h.telegram.sent(h.group("coordinatie")) if "belherinnering" in m["text"]
        ]
        assert request.reference in alert["text"] and "Bel Mia" not in alert["text"]
        async with db.session() as session:
            rows = {r.id: r for r in await session.scalars(select(Outbox))}
        assert rows[reminder.id].status == OutboxStatus.failed
        assert rows[card.id].status == OutboxStatus.sent


async def test_a_clean_restart_tells_the_coordinators_nothing(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await h.services.dispatcher.recover()
        await h.services.dispatcher.run_once(h.app.bot)
        assert h.telegram.sent(h.group("coordinatie")) == []


async def test_a_stop_leaves_what_is_not_sent_in_line_for_the_next_start(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        group = h.group("vrijwilligers")
        async with db.session() as session:
            for n in range(3):
                await repo.enqueue(
                    session=session, now=h.clock(), chat_id=group, text=f"Kaart {n}", purpose="card"
                )
        dispatcher = h.services.dispatcher
        sent_before = len(h.telegram.sent(group))
        # The bot starts stopping once the first card is out (as ``application.running``
        # turns False in the middle of a batch).
        dispatcher.keep_sending = lambda: len(h.telegram.sent(group)) == sent_before
        assert await dispatcher.run_once(h.app.bot) == 1
        async with db.session() as session:
            rows = sorted(await session.scalars(select(Outbox)), key=lambda r: r.id or 0)
        assert [(r.status, r.attempts, r.locked_until) for r in rows] == [
            (OutboxStatus.sent, 1, None),
            (OutboxStatus.pending, 0, None),
            (OutboxStatus.pending, 0, None),
        ]
        dispatcher.keep_sending = lambda: True  # the next start
        assert await dispatcher.run_once(h.app.bot) == 2
        texts = [m["text"] for m in h.telegram.sent(group)[sent_before:]]
        assert texts == ["Kaart 0", "Kaart 1", "Kaart 2"]
