"""The live part of the queue page, asked for every second by ``static/live.js``.

Everyone with the same role, queues and language sees the same fragment, so it is built
once per ``LIVE_TTL`` (on the line's clock) and shared; only the session's form token
differs and is put in when sent. The script sends back the version it has
(``X-Version``); an unchanged fragment is answered with an empty 204. The session and
the role and queues are still checked on every request (``sessions.page``), and a
cached fragment never crosses a role or queue boundary: those are its key.

Between two builds most rows are the same, so each row's HTML is kept by its facts
(``RowCache``) and only a new or changed row goes through the template: a build costs
the query and a join, not a template run over every open request, which would hold up
the residents' updates on the shared event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from helpline.cases.core import Services
from helpline.web.sessions import Page, render_text, server_state

LIVE_TTL = timedelta(seconds=0.25)
TOKEN_SLOT = "@@form-token@@"  # never produced by escaping; replaced per session
ROW_CACHE_SIZE = 5000  # rows kept; more are dropped oldest first

RowHtml = Callable[[dict[str, object]], Markup]

Key = tuple[str, tuple[str, ...], str]


class RowCache:
    """Rendered queue rows by (language, form token, the row's facts), oldest dropped first."""

    def __init__(self, size: int = ROW_CACHE_SIZE) -> None:
        self.size = size
        self.html: dict[tuple[object, ...], Markup] = {}

    def renderer(self, request: Request, services: Services, lang: str, csrf: str) -> RowHtml:
        """A ``row_html`` for ``_queues.html`` that renders a row only the first time."""

        def row_html(row: dict[str, object]) -> Markup:
            key = (lang, csrf, *row.items())
            html = self.html.get(key)
            if html is None:
                if len(self.html) >= self.size:
                    del self.html[next(iter(self.html))]
                html = self.html[key] = render_row(request, services, row, csrf)
            return html

        return row_html


def render_row(request: Request, services: Services, row: dict[str, object], csrf: str) -> Markup:
    """One queue row as HTML (escaped by the template, so safe to put in as it is)."""
    return Markup(render_text(request, services, "_queue_row.html", row=row, csrf=csrf))


def row_renderer(request: Request, services: Services, csrf: str) -> RowHtml:
    """A ``row_html`` that renders every row (for the page itself, drawn once per visit)."""
    return lambda row: render_row(request, services, row, csrf)


@dataclass
class _Fragment:
    built_at: datetime
    html: str
    version: str


@dataclass
class LiveCache:
    """Fragments by (role, queues, language), each rebuilt at most once per ``LIVE_TTL``."""

    entries: dict[Key, _Fragment] = field(default_factory=dict)
    locks: dict[Key, asyncio.Lock] = field(default_factory=dict)
    rows: RowCache = field(default_factory=RowCache)

    async def get(self, key: Key, now: datetime, build: Callable[[], Awaitable[str]]) -> _Fragment:
        """The fragment for ``key``: the cached one while fresh, else built (once at a time)."""
        lock = self.locks.setdefault(key, asyncio.Lock())
        async with lock:  # twenty pollers at once build it once, not twenty times
            entry = self.entries.get(key)
            if entry is None or not (entry.built_at <= now < entry.built_at + LIVE_TTL):
                html = await build()
                version = hashlib.sha256(html.encode()).hexdigest()[:20]
                entry = self.entries[key] = _Fragment(now, html, version)
            return entry


def live_cache(request: Request) -> LiveCache:
    """The cache of this web app."""
    return server_state(request, "live_cache", LiveCache)


async def live_fragment(p: Page, build_queues: Callable[[Page], Awaitable[object]]) -> Response:
    """The queues fragment for this session: 204 when the script already has it."""
    actor = p.who.actor
    if not actor.may("view_queue"):
        return Response("", 403)
    key: Key = (str(actor.staff.role), tuple(sorted(actor.queues)), p.lang)

    async def build() -> str:
        queues = await build_queues(p)
        row_html = cache.rows.renderer(p.request, p.services, p.lang, TOKEN_SLOT)
        return render_text(
            p.request, p.services, "_queues.html", queues=queues, csrf=TOKEN_SLOT, row_html=row_html
        )

    cache = live_cache(p.request)
    fragment = await cache.get(key, p.services.clock(), build)
    headers = {"x-version": fragment.version}
    if p.request.headers.get("x-version") == fragment.version:
        return Response(status_code=204, headers=headers)
    return HTMLResponse(fragment.html.replace(TOKEN_SLOT, p.who.csrf), headers=headers)
