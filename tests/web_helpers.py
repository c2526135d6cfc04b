"""The coordinator web page around the test app: an ASGI client per browser, logins."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr
from sqlmodel import select

from helpline.scripted import ScriptedChat
from helpline.testing import FakeUser
from helpline.web.server import build_web_app
from storage.db import Database
from storage.models import Request, Role
from tests.bot_harness import Harness, complete_intake, running_app

WEB_SECRET = "web-secret-for-tests-0123456789abcdef"
BASE = "http://testserver"
LINK = re.compile(r"/web/login/([A-Za-z0-9_.\-]+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
MIA = FakeUser(id=4101, first_name="Mia")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"


@dataclass
class Web:
    """The harness and the web app; ``browser()`` is a fresh cookie jar."""

    h: Harness
    app: object

    def browser(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)  # type: ignore[arg-type]
        return httpx.AsyncClient(transport=transport, base_url=BASE)

    async def staff(self, user: FakeUser, *queues: str, role: Role = Role.staff) -> ScriptedChat:
        return await self.h.add_staff(user, *queues, role=role)

    async def link(self, chat: ScriptedChat) -> str:
        """Sends /inloggen in the private chat; the token of the link the bot answered."""
        await chat.say("/inloggen")
        found = LINK.search(chat.last_text())
        assert found, chat.last_text()
        return found.group(1)

    async def login(self, chat: ScriptedChat) -> httpx.AsyncClient:
        """A browser logged in with a fresh one-time link."""
        browser = self.browser()
        answer = await browser.post("/web/login", data={"token": await self.link(chat)})
        assert answer.status_code == 303, answer.text
        return browser

    async def request_id(self) -> int:
        async with self.h.services.db.session() as session:
            [request] = list(await session.scalars(select(Request)))
        assert request.id is not None
        return request.id


async def csrf_of(browser: httpx.AsyncClient, path: str = "/web/queues") -> str:
    page = await browser.get(path)
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


@asynccontextmanager
async def web_app(db: Database, tmp: Path) -> AsyncIterator[Web]:
    """The test app with WEB_SECRET set and its web page behind an in-process client."""
    async with running_app(db, tmp) as h:
        h.services.settings.web_secret = SecretStr(WEB_SECRET)
        h.services.settings.web_base_url = BASE
        yield Web(h, build_web_app(h.app))


async def mia_asks(web: Web, village: str = "Drunen") -> int:
    """Mia's intake (a wijkteam question from ``village``); the request's id."""
    await complete_intake(web.h.chat(MIA), QUESTION, village=village)
    return await web.request_id()
