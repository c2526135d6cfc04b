"""The session around every page: who is asking (re-read from the database), their
language, the form token check, and rendering a template.

``page`` wraps a route: one transaction per request (as a handler has one per update);
no live session → the "please log in" page (401); a POST without the session's form
token → 403, nothing done. The role and queues come from the database at the moment of
the request, so a removed or demoted staff member loses access at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from helpline.cases.core import Services
from helpline.cases.web_login import WebActor, web_actor
from helpline.services import SERVICES_KEY, HelplineApp
from helpline.web.security import csrf_ok
from helpline.web.texts import WebTexts, load_web_texts

COOKIE = "helpline_session"
LANG_COOKIE = "helpline_lang"
LANGUAGES = ("nl", "en")
TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,  # every value is escaped; nothing is marked safe
        undefined=jinja2.StrictUndefined,
    )
)


@dataclass
class Page:
    """What a route needs: the request, the services, its transaction and who asks."""

    request: Request
    services: Services
    session: AsyncSession
    who: WebActor
    lang: str
    t: WebTexts

    @property
    def application(self) -> HelplineApp:
        """The PTB application (for the bot and the dispatcher)."""
        app: HelplineApp = self.request.app.state.application
        return app

    def render(self, name: str, status: int = 200, **values: Any) -> Response:
        """The template ``name`` with the page's common values."""
        return render(self.request, self.services, name, status, who=self.who, **values)


Route = Callable[[Page], Awaitable[Response]]


T = TypeVar("T")


def server_state(request: Request, name: str, make: Callable[[], T]) -> T:
    """The web app's own ``name`` (made by ``make`` at first use): one per server, so
    tests never share one."""
    state = request.app.state
    if not hasattr(state, name):
        setattr(state, name, make())
    found: T = getattr(state, name)
    return found


def services_of(request: Request) -> Services:
    """The services of the application this server runs in."""
    application: HelplineApp = request.app.state.application
    services: Services = application.bot_data[SERVICES_KEY]
    return services


def language(request: Request, services: Services) -> str:
    """The language chosen on the page (a cookie), else the line's default."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGUAGES else services.settings.default_language


def web_texts(services: Services) -> WebTexts:
    """The web texts of the configured flows directory."""
    return load_web_texts(services.settings.flows_dir)


def _context(request: Request, services: Services, values: dict[str, Any]) -> dict[str, Any]:
    lang = language(request, services)
    texts = web_texts(services)
    context = {
        "t": lambda key, **v: texts(key, lang, **v),
        "lang": lang,
        "org_name": services.config.organisation.name,
        "who": None,
        "csrf": "",
        # Log in with Telegram is offered when its client is set (helpline.web.telegram_login).
        "telegram_login": bool(
            services.settings.telegram_login_client_id
            and services.settings.telegram_login_client_secret
        ),
        **values,
    }
    if values.get("who") is not None and "csrf" not in values:
        context["csrf"] = values["who"].csrf
    return context


def render(
    request: Request, services: Services, name: str, status: int = 200, **values: Any
) -> Response:
    """A page in the visitor's language, with ``t`` for texts and the common values."""
    context = _context(request, services, values)
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def render_text(request: Request, services: Services, name: str, **values: Any) -> str:
    """A template as text (for a fragment that is cached and sent as it is)."""
    return TEMPLATES.get_template(name).render(_context(request, services, values))


def secure_cookie(request: Request, services: Services) -> bool:
    """Cookies get ``Secure`` whenever the page is served over https."""
    base = services.settings.web_base_url or ""
    return request.url.scheme == "https" or base.startswith("https://")


def set_session_cookie(
    response: Response, request: Request, services: Services, cookie: str
) -> None:
    """Gives the browser its session: HttpOnly, SameSite=Strict, Secure over https."""
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=services.settings.web_session_hours * 3600,
        path="/web",
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request, services),
    )


def page(route: Route, *, touch: bool = True) -> Callable[[Request], Awaitable[Response]]:
    """Wraps a route with the session check, the form token check and one transaction.

    ``touch``: whether the request counts as activity (a live page's polling does not,
    so an unattended page still logs out after the idle time).
    """

    async def endpoint(request: Request) -> Response:
        services = services_of(request)
        if services.settings.web_secret is None:
            return Response("not found", 404)  # the web page is not set up
        cookie = request.cookies.get(COOKIE, "")
        async with services.db.session() as session:
            who = await web_actor(session, services, cookie, touch=touch) if cookie else None
            if who is None:
                return render(request, services, "message.html", 401, message="login_needed")
            if request.method == "POST":
                form = await request.form()
                if not csrf_ok(who.csrf, form.get("csrf")):
                    return render(request, services, "message.html", 403, message="csrf", who=who)
            lang = language(request, services)
            return await route(Page(request, services, session, who, lang, web_texts(services)))

    endpoint.__name__ = getattr(route, "__name__", "page")
    endpoint.__doc__ = route.__doc__
    return endpoint
