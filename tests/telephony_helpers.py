"""The phone line around the test app: its HTTP server on 127.0.0.1, a client, extensions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlmodel import func, select

from helpline.scripted import ScriptedChat
from helpline.testing import FakeUser
from helpline.web.server import start_http_server, stop_http_server
from storage import repository as repo
from storage.db import Database
from storage.models import Role
from storage.repository.telephony import set_phone_extension
from tests.bot_harness import Harness, running_app

SECRET = "test-telephony-secret-0123"
FORM = {"content-type": "application/x-www-form-urlencoded"}


@dataclass
class PhoneLine:
    """The harness, an HTTP client to the running server, and how to post events."""

    h: Harness
    client: httpx.AsyncClient

    async def cti(self, body: bytes | str, secret: str = SECRET) -> httpx.Response:
        data = body.encode() if isinstance(body, str) else body
        return await self.client.post(f"/telephony/cti/{secret}", content=data, headers=FORM)

    async def voipgrid(self, body: bytes, secret: str = SECRET) -> httpx.Response:
        headers = {"content-type": "application/json"}
        return await self.client.post(
            f"/telephony/voipgrid/{secret}", content=body, headers=headers
        )

    async def deliver(self) -> None:
        """Sends what the outbox holds (the app is not started: no kick runs by itself)."""
        await self.h.services.dispatcher.run_once(self.h.app.bot)

    async def add_staff(
        self, user: FakeUser, *queues: str, role: Role = Role.staff, extension: str | None = None
    ) -> ScriptedChat:
        chat = await self.h.add_staff(user, *queues, role=role)
        async with self.h.services.db.session() as session:
            row = await repo.get_staff(session=session, telegram_user_id=user.id)
            assert row is not None and row.id is not None
            await set_phone_extension(session=session, staff_id=row.id, extension=extension)
        return chat

    async def count(self, model: Any) -> int:
        async with self.h.services.db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    async def rows(self, model: Any) -> list[Any]:
        async with self.h.services.db.session() as session:
            return list(await session.scalars(select(model)))


async def wait_until(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    """Waits (on the loop, so the server's tasks run) until ``predicate`` holds."""
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    assert predicate(), "timed out"


@asynccontextmanager
async def phone_line(
    db: Database, tmp: Path, *, secret: str | None = SECRET
) -> AsyncIterator[PhoneLine]:
    """The test app with its HTTP server on a free port of 127.0.0.1."""
    async with running_app(db, tmp) as h:
        h.services.settings.telephony_secret = SecretStr(secret) if secret else None
        h.services.settings.http_port = 0
        server = await start_http_server(h.app)
        assert server is not None
        try:
            base = f"http://127.0.0.1:{server.port}"
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                yield PhoneLine(h, client)
        finally:
            await stop_http_server(h.app)
