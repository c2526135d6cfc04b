"""A real ``telegram.Bot`` in front of a fresh fake Bot API: in-process or over 127.0.0.1."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Bot
from telegram.request import HTTPXRequest

from helpline.testing import FakeRequest, FakeTelegram, FakeTelegramServer

Front = tuple[FakeTelegram, Bot]
FRONTS = ["in-process", "http"]

# Only plain http to 127.0.0.1 here; one TLS context for all clients keeps setup fast.
_TLS = ssl.create_default_context()


def http_bot(core: FakeTelegram, server: FakeTelegramServer, token: str = "") -> Bot:
    """A real ``Bot`` with PTB's own HTTPX transport, pointed at the fake server."""
    return Bot(
        token or core.token,
        base_url=server.base_url,
        request=HTTPXRequest(httpx_kwargs={"verify": _TLS}),
        get_updates_request=HTTPXRequest(httpx_kwargs={"verify": _TLS}),
    )


@asynccontextmanager
async def bot_front(kind: str) -> AsyncIterator[Front]:
    """A fresh fake and a ``Bot`` talking to it through FakeRequest (``"in-process"``) or
    over 127.0.0.1 (``"http"``)."""
    core = FakeTelegram()
    if kind == "in-process":
        transport = FakeRequest(core)
        async with Bot(core.token, request=transport, get_updates_request=transport) as bot:
            yield core, bot
        return
    with FakeTelegramServer(core) as server:
        async with http_bot(core, server) as bot:
            yield core, bot
