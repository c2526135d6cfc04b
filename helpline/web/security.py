"""Headers every answer of the HTTP server carries, and the form token (CSRF) check.

The Content-Security-Policy allows scripts, styles and connections from the page's own
origin only: no inline script can run, so a name that slipped past escaping still
cannot act. Pages are never cached (``no-store``): they hold residents' details, and a
shared or public computer must not keep them. ``Referrer-Policy: no-referrer`` keeps
the one-time login link out of any other site's logs.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
STATIC_PREFIX = "/web/static/"


class SecurityHeaders:
    """ASGI middleware: the headers above on every answer; ``no-store`` on all but static files.

    Plain ASGI (not ``BaseHTTPMiddleware``) so a streamed answer passes straight through.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Adds the headers to the start of each HTTP answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                headers["cache-control"] = "public, max-age=300" if static else "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_ok(expected: str, given: object) -> bool:
    """True when the form's token is the session's (constant-time)."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
