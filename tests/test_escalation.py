"""Escalation of unclaimed requests with an injected clock: business hours and wall-clock crisis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from flows.business_hours import OpeningHours
from flows.escalation import escalation_times
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Escalation
from tests.bot_harness import Harness, complete_intake, running_app

AMS = ZoneInfo("Europe/Amsterdam")
MIA = FakeUser(id=4001, first_name="Mia")
HOURS = OpeningHours.from_config(
    {d: "09:00-17:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")}, AMS
)
LIMITS = {"normal": 240, "urgent": 30, "crisis": 5}


def test_normal_limit_counts_opening_hours_only() -> None:
    friday_4pm = datetime(2026, 5, 8, 16, 0, tzinfo=AMS)
    [(_, reminder), (_, coordinator)] = escalation_times(
        created_at=friday_4pm, urgency="normal", minutes=LIMITS, hours=HOURS
    )
    assert reminder == datetime(2026, 5, 11, 12, 0, tzinfo=AMS)  # Monday, 1 h + 3 h
    assert coordinator == datetime(2026, 5, 11, 16, 0, tzinfo=AMS)


def test_crisis_limit_is_wall_clock_even_at_night() -> None:
    saturday_night = datetime(2026, 5, 9, 3, 0, tzinfo=AMS)
    [(_, reminder), (_, coordinator)] = escalation_times(
        created_at=saturday_night, urgency="crisis", minutes=LIMITS, hours=HOURS
    )
    assert reminder - saturday_night == timedelta(minutes=5)
    assert coordinator - saturday_night == timedelta(minutes=10)


async def _tick(h: Harness) -> None:
    await h.services.dispatcher.run_once(h.app.bot)


async def test_unclaimed_request_reminds_queue_then_alerts_coordinator(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        h.clock.now = datetime(2026, 5, 4, 9, 0, tzinfo=AMS).astimezone(UTC)  # Monday
        await complete_intake(h.chat(MIA), "Ik snap een brief van de gemeente niet")
        group, coordination = h.group("wijkteam_drunen"), h.group("coordinatie")
        h.clock.advance(hours=3, minutes=59)
        await _tick(h)
        assert not any("⏰" in m["text"] for m in h.telegram.sent(group))
        h.clock.advance(minutes=1)
        await _tick(h)
        assert sum("⏰" in m["text"] for m in h.telegram.sent(group)) == 1
        await _tick(h)  # nothing is sent twice
        assert sum("⏰" in m["text"] for m in h.telegram.sent(group)) == 1
        h.clock.advance(hours=4)
        await _tick(h)
        assert any("🚩" in m["text"] for m in h.telegram.sent(coordination))


async def test_claim_cancels_escalation(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        h.clock.now = datetime(2026, 5, 4, 9, 0, tzinfo=AMS).astimezone(UTC)
        await complete_intake(h.chat(MIA), "Ik snap een brief van de gemeente niet")
        sanne = await h.add_staff(FakeUser(id=5001, first_name="Sanne"), "wijkteam_drunen")
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        h.clock.advance(days=3)
        await _tick(h)
        assert not any("⏰" in m["text"] for m in h.telegram.sent())
        async with db.session() as session:
            statuses = {e.status for e in await session.scalars(select(Escalation))}
        assert statuses == {"cancelled"}


async def test_escalation_survives_restart_and_is_not_repeated(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        h.clock.now = datetime(2026, 5, 4, 9, 0, tzinfo=AMS).astimezone(UTC)
        await complete_intake(h.chat(MIA), "Ik snap een brief van de gemeente niet")
        telegram = h.telegram
    async with running_app(db, tmp_path, telegram) as h2:
        h2.clock.now = datetime(2026, 5, 4, 13, 30, tzinfo=AMS).astimezone(UTC)
        await _tick(h2)
        await _tick(h2)
        assert sum("⏰" in m["text"] for m in telegram.sent(h2.group("wijkteam_drunen"))) == 1


def test_queue_can_override_escalation_limits() -> None:
    from flows.config import load_config

    config = load_config()
    assert config.escalation_for("belmaatjes")["normal"] == 480
    assert config.escalation_for("belmaatjes")["crisis"] == 5
    assert config.escalation_for("wijkteam_drunen")["normal"] == 240
