"""/wachtrij: open requests of my queues only, crisis and urgent first, then oldest; a claim
button for each. Coordinators see every queue."""

from __future__ import annotations

import re
from pathlib import Path

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Role
from tests.bot_harness import Harness, complete_intake, running_app

FORMS = "Ik krijg brieven van de belasting en snap het formulier niet"


async def intake(h: Harness, user_id: int, question: str, village: str, minutes: int) -> None:
    await complete_intake(h.chat(FakeUser(user_id, f"R{user_id}")), question, village=village)
    h.clock.advance(minutes=minutes)


def listed(text: str) -> list[str]:
    """The references in a queue listing, in order (urgency icons left out)."""
    return [re.search(r"HH-\d{4}-\d{5}", line).group() for line in text.splitlines()[1:]]  # type: ignore[union-attr]


async def test_queue_view_is_my_queues_urgent_first_then_oldest(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await intake(h, 4001, FORMS, "Drunen", 10)  # 00001 drunen, oldest
        await intake(h, 4002, FORMS, "Vlijmen", 10)  # 00002 vlijmen
        await intake(h, 4003, FORMS, "Elshout", 10)  # 00003 drunen
        await intake(h, 4004, "Mijn man slaat mij soms", "Drunen", 10)  # 00004 urgent, drunen
        sanne = await h.add_staff(FakeUser(5001, "Sanne"), "wijkteam_drunen")
        await sanne.say("/wachtrij")
        message = h.telegram.last_sent(5001)
        assert listed(message["text"]) == ["HH-2026-00004", "HH-2026-00001", "HH-2026-00003"]
        assert message["text"].splitlines()[1].startswith("❗"), "urgent is marked"
        buttons = [
            b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
        ]
        assert sorted(buttons) == sorted(f"req:claim:{n}" for n in (4, 1, 3))
        lead = await h.add_staff(FakeUser(5002, "Carla"), role=Role.coordinator)
        await lead.say("/wachtrij")
        assert "HH-2026-00002" in lead.last_text(), "coordinators see every queue"
        # Claimed requests leave the queue and show under /mijn.
        await sanne.press("HH-2026-00004")
        await sanne.say("/wachtrij")
        assert listed(sanne.last_text()) == ["HH-2026-00001", "HH-2026-00003"]
        await sanne.say("/mijn")
        assert "HH-2026-00004" in sanne.last_text()


async def test_volunteer_sees_only_their_own_queue(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await intake(h, 4001, FORMS, "Drunen", 1)
        await intake(
            h, 4002, "Ik zou graag af en toe iemand spreken, ik ben zo alleen", "Drunen", 1
        )
        vera = await h.add_staff(FakeUser(5003, "Vera"), "belmaatjes", role=Role.volunteer)
        await vera.say("/wachtrij")
        assert listed(vera.last_text()) == ["HH-2026-00002"]
