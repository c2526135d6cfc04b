"""The HTTP server next to the PTB application, on the same event loop.

As in PTB's ``customwebhookbot`` example, uvicorn serves a Starlette app inside the
running asyncio loop; unlike it, polling (or Telegram's webhook) keeps running as it
did, and the server is started in ``post_init`` and stopped in ``post_stop``. uvicorn's
own signal handling is never installed: PTB owns SIGINT and SIGTERM and stops the
server through ``stop_http_server``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from flows.errors import HttpStartError
from helpline.channels import HTTP_KEY
from helpline.services import SERVICES_KEY, HelplineApp
from helpline.web.agenda import agenda_routes
from helpline.web.login import login_routes
from helpline.web.pages import page_routes
from helpline.web.privacy_page import privacy_routes
from helpline.web.reports import report_routes
from helpline.web.resident_page import resident_routes
from helpline.web.search import search_routes
from helpline.web.security import SecurityHeaders
from helpline.web.staff_page import staff_routes
from helpline.web.telegram_login import telegram_login_routes
from helpline.web.telephony import telephony_routes

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"


async def healthz(request: Request) -> JSONResponse:
    """200 while the bot is running (serving updates), 503 while it starts or stops."""
    application: HelplineApp = request.app.state.application
    running = bool(application.running)
    return JSONResponse({"status": "ok" if running else "starting"}, 200 if running else 503)


def build_web_app(application: HelplineApp) -> Starlette:
    """The routes of the HTTP edge, each reaching the services through ``application``."""
    web = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            *telephony_routes(),
            # The coordinator web page (answers 404 while WEB_SECRET is not set).
            *telegram_login_routes(),  # before /web/login/{token}: its paths are fixed
            *login_routes(),
            *page_routes(),
            *search_routes(),
            *report_routes(),
            *agenda_routes(),
            *resident_routes(),
            *staff_routes(),
            *privacy_routes(),
            Mount("/web/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders)],
    )
    web.state.application = application
    return web


class HttpServer:
    """uvicorn on a socket of our own, driven step by step inside the running loop."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        self.host, self._port = host, port
        # No access log: the webhook paths hold the secret. No log config: ours stays.
        self._config = uvicorn.Config(
            app, lifespan="off", access_log=False, log_config=None, server_header=False
        )
        self._server = uvicorn.Server(self._config)
        self._socket: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The port it listens on (the one the system chose, when configured as 0)."""
        return int(self._socket.getsockname()[1]) if self._socket is not None else self._port

    def _bind(self) -> socket.socket:
        try:
            family, kind, proto, _, address = socket.getaddrinfo(
                self.host, self._port, type=socket.SOCK_STREAM
            )[0]
            sock = socket.socket(family, kind, proto)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
        except OSError as exc:
            raise HttpStartError(
                f"setting HTTP_PORT: cannot listen on {self.host}:{self._port}: "
                f"{exc.strerror or exc}"
            ) from None
        sock.setblocking(False)
        return sock

    async def start(self) -> None:
        """Binds and starts serving; returns once connections are accepted."""
        self._socket = self._bind()
        self._config.load()
        self._server.lifespan = self._config.lifespan_class(self._config)
        await self._server.startup(sockets=[self._socket])
        self._task = asyncio.create_task(self._server.main_loop(), name="http-server")

    async def stop(self) -> None:
        """Stops accepting, lets open requests finish (uvicorn's grace), closes the socket."""
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        await self._server.shutdown(sockets=[self._socket] if self._socket else None)
        if self._socket is not None:
            self._socket.close()
            self._socket = None


async def start_http_server(application: HelplineApp) -> HttpServer | None:
    """Starts the HTTP server when HTTP_PORT is set (None otherwise), kept in bot_data."""
    settings = application.bot_data[SERVICES_KEY].settings
    if settings.http_port is None or application.bot_data.get(HTTP_KEY) is not None:
        return application.bot_data.get(HTTP_KEY)
    server = HttpServer(build_web_app(application), settings.http_listen, settings.http_port)
    await server.start()
    application.bot_data[HTTP_KEY] = server
    logger.info("HTTP server listening on %s:%s", server.host, server.port)
    return server


async def stop_http_server(application: HelplineApp) -> None:
    """Stops the HTTP server, if one runs (called on every stop; safe twice)."""
    server: HttpServer | None = application.bot_data.pop(HTTP_KEY, None)
    if server is not None:
        await server.stop()
        logger.info("HTTP server stopped")
