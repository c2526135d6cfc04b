"""``FakeTelegramServer``: the fake Bot API over real HTTP on 127.0.0.1, for end-to-end tests."""

from __future__ import annotations

import json
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from helpline.testing.fake_telegram import FakeTelegram

# Free-text parameters stay strings even when they look like JSON ("123", "true").
_TEXT_FIELDS = {"text", "caption", "description", "secret_token", "url", "callback_query_id"}


def _decode(name: str, value: str) -> Any:
    if name in _TEXT_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeTelegramServer:
    """Serves ``POST /bot<token>/<method>`` from a background thread."""

    def __init__(self, telegram: FakeTelegram, port: int = 0) -> None:
        self.telegram = telegram
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_BASE_URL / ``ApplicationBuilder.base_url``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/bot"

    def start(self) -> FakeTelegramServer:
        """Starts serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving and closes the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeTelegramServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        telegram = self.telegram

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                del format, args

            def do_POST(self) -> None:
                path = self.path.split("?", 1)[0]
                _, _, rest = path.partition("/bot")
                token, _, method = rest.partition("/")
                if token != telegram.token:
                    self._reply(
                        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    )
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                params, files = self._parse(body)
                if method == "getUpdates":
                    self._long_poll(params)
                status, answer = telegram.handle(method, params, files)
                self._reply(status, answer)

            do_GET = do_POST

            def _parse(self, body: bytes) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
                kind = self.headers.get("Content-Type", "")
                files: dict[str, tuple[str, bytes]] = {}
                if kind.startswith("application/json"):
                    return (json.loads(body or b"{}"), files)
                if kind.startswith("multipart/form-data"):
                    head = f"Content-Type: {kind}\r\n\r\n".encode()
                    message = BytesParser(policy=HTTP).parsebytes(head + body)
                    params: dict[str, Any] = {}
                    for part in message.iter_parts():
                        name = part.get_param("name", header="content-disposition")
                        raw = part.get_payload(decode=True)
                        payload = raw if isinstance(raw, bytes) else b""
                        if part.get_filename():
                            files[str(name)] = (part.get_filename() or "file", payload)
                        else:
                            params[str(name)] = _decode(str(name), payload.decode())
                    return params, files
                pairs = parse_qsl(body.decode(), keep_blank_values=True)
                return {k: _decode(k, v) for k, v in pairs}, files

            def _long_poll(self, params: dict[str, Any]) -> None:
                deadline = time.monotonic() + float(params.get("timeout") or 0)
                offset = int(params.get("offset") or 0)
                with telegram.changed:
                    while not telegram.take_updates(offset, 1):
                        left = deadline - time.monotonic()
                        if left <= 0:
                            return
                        telegram.changed.wait(min(left, 0.1))

            def _reply(self, status: int, answer: dict[str, Any]) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
