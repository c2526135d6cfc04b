"""``FakeRequest``: python-telegram-bot's transport, answered by ``FakeTelegram`` in-process.

Like httpx's MockTransport: the real ``Bot`` builds real requests and parses real
responses, so PTB's own error mapping (RetryAfter, Forbidden, BadRequest, ...) runs.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from helpline.testing.fake_telegram import FakeTelegram


class FakeRequest(BaseRequest):
    """Routes every Bot API call to a ``FakeTelegram`` without any network."""

    def __init__(self, telegram: FakeTelegram, poll_interval: float = 0.01) -> None:
        self.telegram = telegram
        self.poll_interval = poll_interval

    @property
    def read_timeout(self) -> float | None:
        """Default read timeout (getUpdates long-polls within it)."""
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Answers one call; getUpdates waits (asynchronously) for updates up to its timeout."""
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        files: dict[str, tuple[str, bytes]] = {}
        if request_data is not None:
            for name, value in request_data.multipart_data.items():
                if isinstance(value, tuple):
                    filename, content = value[0], value[1]
                    data = content if isinstance(content, bytes) else content.read()
                    files[name] = (str(filename), data)
        if api_method == "getUpdates":
            await self._wait_for_updates(params)
        status, body = self.telegram.handle(api_method, params, files)
        if status == 504 and body.get("description", "") in ("", "504"):
            raise TimedOut("fake timeout")
        return status, json.dumps(body).encode()

    async def _wait_for_updates(self, params: dict[str, Any]) -> None:
        timeout = float(params.get("timeout") or 0)
        offset = int(params.get("offset") or 0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # Updates may be queued from another thread, so poll rather than wait on an Event.
        while loop.time() < deadline and not self.telegram.take_updates(offset, 1):  # noqa: ASYNC110
            await asyncio.sleep(self.poll_interval)
