"""``FakeRequest``: python-telegram-bot's transport, answered by ``FakeTelegram`` in-process.

Like httpx's ``MockTransport``: the real ``Bot`` builds real requests and parses
real responses, so PTB's own error mapping (``RetryAfter``, ``Forbidden``,
``BadRequest``, ``NetworkError``) runs on the fake's status codes and JSON.

    app = (
        ApplicationBuilder()
        .token(telegram.token)
        .request(FakeRequest(telegram))
        .get_updates_request(FakeRequest(telegram))
        .build()
    )
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from helpline.testing.fake_server import decode_field
from helpline.testing.fake_telegram import TIMEOUT_DESCRIPTION, FakeTelegram


class FakeRequest(BaseRequest):
    """Routes every Bot API call to a ``FakeTelegram`` without any network."""

    def __init__(
        self, telegram: FakeTelegram, *, poll_interval: float = 0.01, read_timeout: float = 5.0
    ) -> None:
        """Creates the transport.

        Args:
            telegram: The fake server that answers.
            poll_interval: How often a waiting getUpdates looks for new updates (seconds).
            read_timeout: The default read timeout PTB adds to getUpdates' own timeout.
        """
        self.telegram = telegram
        self.poll_interval = poll_interval
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout."""
        return self._read_timeout

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
        """Answers one Bot API call as Telegram would.

        getUpdates waits (without blocking the event loop) up to its ``timeout`` for an
        update, so ``Application.run_polling`` works against the fake.

        Returns:
            The HTTP status code and the JSON payload.

        Raises:
            telegram.error.TimedOut: When a timeout was injected (``fail_next(error_code=0)``).
        """
        del method, read_timeout, write_timeout, connect_timeout, pool_timeout
        api_method = url.rsplit("/", 1)[-1]
        # A str goes over the wire as it is and Telegram reads it as the server would (a
        # keyboard sent as its JSON, say); other values arrive as PTB encoded them.
        params: dict[str, Any] = {
            name: decode_field(name, value) if isinstance(value, str) else value
            for name, value in (request_data.parameters if request_data else {}).items()
        }
        files = _files(request_data) if request_data and request_data.contains_files else {}
        if api_method == "getUpdates":
            await self._wait_for_updates(params)
        status, body = self.telegram.handle(api_method, params, files)
        if status == 504 and body.get("description") == TIMEOUT_DESCRIPTION:
            raise TimedOut("Timed out (simulated by the fake Bot API)")
        return status, json.dumps(body).encode()

    async def _wait_for_updates(self, params: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(params.get("timeout") or 0)
        offset = int(params.get("offset") or 0)
        # Updates may be queued from this loop or from another thread, so poll the queue
        # rather than wait on a primitive that only one of them can set.
        while (  # noqa: ASYNC110
            loop.time() < deadline
            and not self.telegram.webhook
            and not self.telegram.take_updates(offset, 1)
        ):
            await asyncio.sleep(self.poll_interval)


def _files(request_data: RequestData) -> dict[str, tuple[str, bytes]]:
    """The uploaded files by field name: (filename, bytes)."""
    files: dict[str, tuple[str, bytes]] = {}
    for name, value in request_data.multipart_data.items():
        filename, content = value[0], value[1]
        data = content if isinstance(content, bytes) else content.read()
        files[name] = (str(filename or name), bytes(data))
    return files
