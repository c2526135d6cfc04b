"""Shared steps for the follow-up call tests: a claimed case and a planned call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from helpline.scripted import ScriptedChat
from helpline.testing import FakeUser
from storage.models import CallReminder, Contact, Request, Role, ScheduledCall
from tests.bot_harness import Harness, complete_intake

AMS = ZoneInfo("Europe/Amsterdam")
MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
ANNA = FakeUser(id=5002, first_name="Anna")
COORD = FakeUser(id=5003, first_name="Carla")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"
# Monday 4 May 2026, 09:00 in Amsterdam.
MONDAY_9 = datetime(2026, 5, 4, 9, 0, tzinfo=AMS).astimezone(UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)  # type: ignore[misc]


async def claimed_case(
    h: Harness, *, role: Role = Role.staff, start: datetime = MONDAY_9
) -> tuple[ScriptedChat, int]:
    """Mia's request, claimed by Sanne (staff of wijkteam_drunen); returns Sanne's chat."""
    h.clock.now = start.astimezone(UTC)
    await complete_intake(h.chat(MIA), QUESTION)
    sanne = await h.add_staff(SANNE, "wijkteam_drunen", role=role)
    await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
    async with h.services.db.session() as session:
        [request] = list(await session.scalars(select(Request)))
    assert request.id is not None
    return sanne, request.id


async def tick(h: Harness) -> None:
    await h.services.dispatcher.run_once(h.app.bot)


async def advance_to(h: Harness, moment: datetime) -> None:
    h.clock.now = moment.astimezone(UTC)
    await tick(h)


async def calls(h: Harness) -> list[ScheduledCall]:
    async with h.services.db.session() as session:
        return list(await session.scalars(select(ScheduledCall).order_by(ScheduledCall.id)))


async def reminders(h: Harness) -> list[CallReminder]:
    async with h.services.db.session() as session:
        return list(await session.scalars(select(CallReminder).order_by(CallReminder.id)))


async def call_contacts(h: Harness) -> list[Contact]:
    async with h.services.db.session() as session:
        rows = await session.scalars(select(Contact).where(Contact.event == "call"))
        return list(rows)


def texts_in(h: Harness, chat_id: int, needle: str) -> list[str]:
    return [m["text"] for m in h.telegram.sent(chat_id) if needle in m.get("text", "")]


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)
