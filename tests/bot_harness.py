"""A running helpline application around the in-process fake Bot API, for tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from helpline.app import build_application, build_services
from helpline.cases.core import Services
from helpline.scripted import ScriptedChat
from helpline.services import HelplineApp
from helpline.settings import Settings
from helpline.testing import FakeRequest, FakeTelegram, FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import Role

GROUP_BASE = -1009000000000


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 5, 4, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Harness:
    """The app, its services, the fake Telegram and helpers to make people."""

    app: HelplineApp
    services: Services
    telegram: FakeTelegram
    clock: FakeClock

    def group(self, queue: str) -> int:
        return self.services.settings.queue_chats[queue]

    def chat(self, user: FakeUser) -> ScriptedChat:
        return ScriptedChat(self.app, self.telegram, user)

    async def add_staff(
        self, user: FakeUser, *queues: str, role: Role = Role.staff
    ) -> ScriptedChat:
        async with self.services.db.session() as session:
            await repo.add_staff(
                session=session,
                telegram_user_id=user.id,
                name=user.first_name,
                role=role,
                queues=list(queues),
            )
        return self.chat(user)


def make_settings(tmp: Path, database_url: str, queues: list[str]) -> Settings:
    settings = Settings(
        telegram_bot_token=None,
        HELPLINE_DATA_DIR=tmp,  # type: ignore[call-arg]
        database_url=database_url,
    )
    settings.queue_chats = {q: GROUP_BASE - n for n, q in enumerate(queues)}
    return settings


@asynccontextmanager
async def running_app(
    db: Database, tmp: Path, telegram: FakeTelegram | None = None
) -> AsyncIterator[Harness]:
    """Builds the real application on ``db`` and initialises it (no polling)."""
    telegram = telegram or FakeTelegram()
    clock = FakeClock()
    settings = make_settings(tmp, db.url, [])
    services = build_services(settings, clock=clock, db=db)
    settings.queue_chats = {q: GROUP_BASE - n for n, q in enumerate(services.config.queues)}
    app = build_application(
        settings, request=FakeRequest(telegram), services=services, rate_limit=False
    )
    async with app:
        yield Harness(app, services, telegram, clock)


async def complete_intake(
    chat: ScriptedChat, question: str, *, village: str = "Drunen", phone: str | None = "0612345678"
) -> None:
    """A resident's whole intake with the proposed category accepted."""
    await chat.say("/start")
    await chat.press("akkoord")
    await chat.say(question)
    await chat.press("Ja")
    await chat.press(village)
    if phone:
        await chat.share_contact(phone)
    else:
        await chat.say("💬 Alleen via de chat")
    await chat.press("Ochtend")
    await chat.press("Versturen")
