"""``FakeTelegramServer``: the fake Bot API over real HTTP on 127.0.0.1, for end-to-end tests.

telegram = FakeTelegram()
with FakeTelegramServer(telegram) as server:
    env["TELEGRAM_API_BASE_URL"] = server.base_url  # http://127.0.0.1:PORT/bot
    ...  # run the bot, then telegram.text(user, "/start"); telegram.wait_for(...)
"""

from __future__ import annotations

import json
import os
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from helpline.testing.fake_telegram import FakeTelegram

# PTB sends every non-str parameter JSON-encoded in a form field, and str ones as they are;
# so "123" is a number unless the field holds free text (or a file id, a name, ...).
_TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "description",
        "short_description",
        "secret_token",
        "url",
        "callback_query_id",
        "inline_query_id",
        "title",
        "name",
        "first_name",
        "last_name",
        "phone_number",
        "vcard",
        "question",
        "address",
        "query",
        "emoji",
        "parse_mode",
        "language_code",
        "business_connection_id",
        "payload",
        "start_parameter",
        "photo",
        "document",
        "video",
        "audio",
        "voice",
        "animation",
        "sticker",
        "video_note",
        "thumbnail",
        "file_id",
        "custom_title",
        "explanation",
        "foursquare_id",
        "message_effect_id",
        "ip_address",
        "next_offset",
        "switch_pm_text",
        "switch_pm_parameter",
        "provider_token",
        "currency",
        "gift_id",
    }
)

Params = dict[str, Any]
Files = dict[str, tuple[str, bytes]]


def decode_field(name: str, value: str) -> Any:
    """A form field's value as PTB meant it: JSON for objects/numbers/bools, else the str.

    Args:
        name: The parameter name (free-text fields stay strings).
        value: The raw field value.

    Returns:
        The decoded value.
    """
    if name in _TEXT_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def parse_body(content_type: str, body: bytes) -> tuple[Params, Files]:
    """Parameters and files of a Bot API request (form, multipart or JSON body).

    Args:
        content_type: The request's Content-Type header.
        body: The raw request body.

    Returns:
        The decoded parameters and the uploaded files as ``(filename, bytes)``.
    """
    files: Files = {}
    if content_type.startswith("application/json"):
        return json.loads(body or b"{}"), files
    if not content_type.startswith("multipart/form-data"):
        pairs = parse_qsl(body.decode(), keep_blank_values=True)
        return {k: decode_field(k, v) for k, v in pairs}, files
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    params: Params = {}
    for part in BytesParser(policy=HTTP).parsebytes(head + body).iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        if part.get_filename():
            files[name] = (str(part.get_filename()), payload)
        else:
            params[name] = decode_field(name, payload.decode())
    return params, files


class _Server(ThreadingHTTPServer):
    # A real server's backlog, not socketserver's 5: a bot sending fifty replies at once
    # opens fifty connections, and the ones past the backlog would wait seconds to connect.
    request_queue_size = 128


class FakeTelegramServer:
    """Serves ``POST /bot<token>/<method>`` on 127.0.0.1 from a background thread."""

    def __init__(self, telegram: FakeTelegram, port: int = 0) -> None:
        """Binds the socket (port 0: any free port); ``start()`` begins serving.

        Args:
            telegram: The fake server state that answers.
            port: The TCP port on 127.0.0.1.
        """
        self.telegram = telegram
        self._server = _Server(("127.0.0.1", port), _handler_for(telegram))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/bot``: for TELEGRAM_API_BASE_URL / ``ApplicationBuilder``."""
        return f"http://127.0.0.1:{self.port}/bot"

    def bot_environment(
        self, data_dir: Path, database_url: str, queue_chats: dict[str, int], **settings: str
    ) -> dict[str, str]:
        """The environment for ``helpline run`` as a process against this server.

        This machine's environment without its own Telegram, database or webhook
        settings, plus the token, this server's URL, the database, the data directory
        and the queue groups; ``settings`` add more (``DISPATCH_INTERVAL="0.5"``).
        """
        stripped = ("TELEGRAM_", "DATABASE_", "WEBHOOK_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(stripped)}
        env.update(
            TELEGRAM_BOT_TOKEN=self.telegram.token,
            TELEGRAM_API_BASE_URL=self.base_url,
            DATABASE_URL=database_url,
            HELPLINE_DATA_DIR=str(data_dir),
            QUEUE_CHATS=json.dumps(queue_chats),
            **settings,
        )
        return env

    def start(self) -> FakeTelegramServer:
        """Starts serving in a daemon thread; returns the server."""
        if self._thread is None:
            # A short poll interval keeps stop() (and so every test using the server) quick.
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.02},
                name="fake-telegram",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving and closes the socket (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
        with self.telegram.changed:  # wake long polls so their threads finish
            self.telegram.changed.notify_all()

    def __enter__(self) -> FakeTelegramServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler_for(telegram: FakeTelegram) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            del format, args  # keep test output clean

        def do_POST(self) -> None:
            token, _, method = self.path.split("?", 1)[0].removeprefix("/bot").partition("/")
            if not self.path.startswith("/bot") or not method:
                self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            if token != telegram.token:
                self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                params, files = parse_body(self.headers.get("Content-Type", ""), body)
            except (ValueError, UnicodeDecodeError) as exc:
                answer = {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
                self._reply(400, answer)
                return
            if method == "getUpdates":
                self._long_poll(params)
            self._reply(*telegram.handle(method, params, files))

        do_GET = do_POST

        def _long_poll(self, params: Params) -> None:
            """Waits up to the request's ``timeout`` for an update at or after ``offset``."""
            deadline = time.monotonic() + float(params.get("timeout") or 0)
            offset = int(params.get("offset") or 0)
            with telegram.changed:
                while not telegram.webhook and not telegram.take_updates(offset, 1):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return
                    telegram.changed.wait(min(left, 0.1))

        def _reply(self, status: int, answer: dict[str, Any]) -> None:
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (e.g. a long poll cancelled at shutdown)

    return Handler
