"""The HTTP edge: a Starlette app served by uvicorn in the bot's own process and event loop.

It carries the telephony webhooks (``helpline.web.telephony``) and a health check; it
starts with ``helpline run`` when HTTP_PORT is set and stops with it.
"""

from helpline.web.server import (
    HTTP_KEY,
    HttpServer,
    HttpStartError,
    build_web_app,
    start_http_server,
    stop_http_server,
)

__all__ = [
    "HTTP_KEY",
    "HttpServer",
    "HttpStartError",
    "build_web_app",
    "start_http_server",
    "stop_http_server",
]
