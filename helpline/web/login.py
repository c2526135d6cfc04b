"""Logging in with the bot's one-time link, logging out, and the language switch.

``GET /web/login/{token}`` only shows a button: link previews and virus scanners fetch
links, and a GET that used the link would log nobody in. ``POST /web/login`` uses it
(once, a conditional update) and sets the session cookie: HttpOnly, SameSite=Strict,
Secure over https, scoped to ``/web``.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from helpline.cases.web_login import LINK, log_out, redeem_login_link, token_hash
from helpline.web.sessions import (
    COOKIE,
    LANG_COOKIE,
    LANGUAGES,
    Page,
    page,
    render,
    secure_cookie,
    services_of,
    set_session_cookie,
)

logger = logging.getLogger(__name__)

MAX_FORM = 4096  # the login form holds one token


def login_routes() -> list[Route]:
    """The login, logout and language routes."""
    return [
        Route("/web/login/{token}", login_page, methods=["GET"]),
        Route("/web/login", login, methods=["POST"]),
        Route("/web/logout", page(logout), methods=["POST"]),
        Route("/web/lang/{lang}", choose_language, methods=["GET"]),
    ]


async def login_page(request: Request) -> Response:
    """Shows the "log in" button for a link whose signature is right; uses nothing yet."""
    services = services_of(request)
    if services.settings.web_secret is None:
        return Response("not found", 404)
    token = str(request.path_params.get("token", ""))
    if token_hash(services, LINK, token) is None:
        return render(request, services, "message.html", 400, message="link_bad")
    return render(request, services, "login.html", token=token)


async def login(request: Request) -> Response:
    """Uses the link and opens a session; a used, expired or wrong link gets one line."""
    services = services_of(request)
    if services.settings.web_secret is None:
        return Response("not found", 404)
    if int(request.headers.get("content-length") or 0) > MAX_FORM:
        return render(request, services, "message.html", 400, message="link_bad")
    form = await request.form()
    token = form.get("token")
    new = await redeem_login_link(services, token) if isinstance(token, str) else None
    if new is None:
        logger.info("web login refused: link wrong, used or expired")
        return render(request, services, "message.html", 403, message="link_used")
    logger.info("web login: staff %s", new.staff_id)
    response = RedirectResponse("/web/queues", 303)
    set_session_cookie(response, request, services, new.cookie)
    return response


async def logout(p: Page) -> Response:
    """Ends the session in the database and removes the cookie."""
    await log_out(p.session, p.services, p.request.cookies.get(COOKIE, ""))
    response = render(p.request, p.services, "message.html", 200, message="logged_out")
    response.delete_cookie(COOKIE, path="/web", httponly=True, samesite="strict")
    return response


async def choose_language(request: Request) -> Response:
    """Remembers Dutch or English for this browser and goes back to the queues."""
    services = services_of(request)
    lang = str(request.path_params.get("lang", ""))
    response = RedirectResponse("/web/queues", 303)
    if lang in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            path="/web",
            samesite="strict",
            secure=secure_cookie(request, services),
        )
    return response
