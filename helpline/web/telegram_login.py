"""Log in with Telegram: its OpenID Connect login (Authorization Code Flow with PKCE).

When TELEGRAM_LOGIN_CLIENT_ID and _SECRET are set (BotFather → Bot Settings → Login
Widget, with ``<web base>/web/login/telegram/callback`` among the allowed URLs), the
login page offers **Inloggen met Telegram**. ``/web/login/telegram`` sends the browser to
Telegram with a fresh state, nonce and PKCE challenge, kept in a signed cookie for 10
minutes; the callback checks the state, exchanges the code for the ID token (with the
verifier and the client secret), and verifies the token with the provider's published
keys (joserfc, the JOSE library of the authlib project): signature, issuer, audience,
expiry and nonce. The Telegram account in it must be an active staff member; then a
session opens exactly as after a one-time link. Nothing of the token is logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from helpline.cases.core import Services
from helpline.cases.web_login import log_in_telegram_user
from helpline.web.sessions import render, secure_cookie, services_of, set_session_cookie

logger = logging.getLogger(__name__)

FLOW_COOKIE = "helpline_oidc"
FLOW_SECONDS = 600
TIMEOUT = 10.0
_DISCOVERY_SECONDS = 3600
_discovered: dict[str, tuple[float, dict[str, Any]]] = {}


def telegram_login_routes() -> list[Route]:
    """The start of the login at Telegram and its return."""
    return [
        Route("/web/login/telegram", start, methods=["GET"]),
        Route("/web/login/telegram/callback", callback, methods=["GET"]),
    ]


def configured(services: Services) -> bool:
    """True when the page has a web secret and Telegram's login client is set."""
    settings = services.settings
    return bool(
        settings.web_secret
        and settings.telegram_login_client_id
        and settings.telegram_login_client_secret
    )


@dataclass(frozen=True)
class Flow:
    """One login under way: what the callback must see again."""

    state: str
    nonce: str
    verifier: str
    expires: int


def _key(services: Services) -> bytes:
    assert services.settings.web_secret is not None
    secret = services.settings.web_secret.get_secret_value().encode()
    return hmac.new(secret, b"telegram-login", hashlib.sha256).digest()


def seal(services: Services, flow: Flow) -> str:
    """The flow as a signed cookie value."""
    raw = base64.urlsafe_b64encode(json.dumps(flow.__dict__).encode()).decode()
    mac = hmac.new(_key(services), raw.encode(), hashlib.sha256).hexdigest()
    return f"{raw}.{mac}"


def unseal(services: Services, value: str, now: float) -> Flow | None:
    """The flow of a cookie with a right signature that has not expired; else None."""
    raw, _, mac = value.rpartition(".")
    expected = hmac.new(_key(services), raw.encode(), hashlib.sha256).hexdigest()
    if not raw or not hmac.compare_digest(mac, expected):
        return None
    try:
        flow = Flow(**json.loads(base64.urlsafe_b64decode(raw.encode())))
    except (ValueError, TypeError):
        return None
    return flow if flow.expires > now else None


def _redirect_uri(request: Request, services: Services) -> str:
    base = services.settings.web_base_url or str(request.base_url).rstrip("/")
    return f"{base}/web/login/telegram/callback"


async def _discovery(issuer: str) -> dict[str, Any]:
    cached = _discovered.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        answer = await client.get(f"{issuer}/.well-known/openid-configuration")
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
    _discovered[issuer] = (time.monotonic() + _DISCOVERY_SECONDS, found)
    return found


async def start(request: Request) -> Response:
    """Sends the browser to Telegram's login, with state, nonce and PKCE."""
    services = services_of(request)
    if not configured(services):
        return Response("not found", 404)
    try:
        provider = await _discovery(services.settings.telegram_login_issuer)
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("Telegram login: provider not reachable (%s)", type(exc).__name__)
        return render(request, services, "message.html", 503, message="oidc_unreachable")
    flow = Flow(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        verifier=secrets.token_urlsafe(48),
        expires=int(time.time()) + FLOW_SECONDS,
    )
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(flow.verifier.encode()).digest())
        .decode()
        .rstrip("=")
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": services.settings.telegram_login_client_id,
            "redirect_uri": _redirect_uri(request, services),
            "scope": "openid profile",
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    response = RedirectResponse(f"{provider['authorization_endpoint']}?{query}", 303)
    # Lax, not Strict: the browser comes back from Telegram's site with it.
    response.set_cookie(
        FLOW_COOKIE,
        seal(services, flow),
        max_age=FLOW_SECONDS,
        path="/web/login/telegram",
        httponly=True,
        samesite="lax",
        secure=secure_cookie(request, services),
    )
    return response


async def callback(request: Request) -> Response:
    """Checks Telegram's answer and opens a session for the staff member it names."""
    services = services_of(request)
    if not configured(services):
        return Response("not found", 404)
    flow = unseal(services, request.cookies.get(FLOW_COOKIE, ""), time.time())
    state = str(request.query_params.get("state", ""))
    code = str(request.query_params.get("code", ""))
    if flow is None or not code or not hmac.compare_digest(state.encode(), flow.state.encode()):
        logger.info("Telegram login refused: state missing, wrong or expired")
        return _refused(request, services, "oidc_failed")
    try:
        telegram_id = await _verified_user(request, services, flow, code)
    except (httpx.HTTPError, JoseError, ValueError, KeyError, TypeError) as exc:
        logger.info("Telegram login refused: %s", type(exc).__name__)
        return _refused(request, services, "oidc_failed")
    new = await log_in_telegram_user(services, telegram_id)
    if new is None:
        logger.info("Telegram login refused: not staff")
        return _refused(request, services, "oidc_not_staff")
    logger.info("web login with Telegram: staff %s", new.staff_id)
    # A page that goes on by itself, not a redirect: the session cookie is SameSite=Strict,
    # and a browser coming from Telegram's site would not send it on a redirect.
    response = HTMLResponse(
        '<!doctype html><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="0;url=/web/queues">'
        '<a href="/web/queues">/web/queues</a>'
    )
    set_session_cookie(response, request, services, new.cookie)
    response.delete_cookie(FLOW_COOKIE, path="/web/login/telegram")
    return response


def _refused(request: Request, services: Services, message: str) -> Response:
    response = render(request, services, "message.html", 403, message=message)
    response.delete_cookie(FLOW_COOKIE, path="/web/login/telegram")
    return response


async def _verified_user(request: Request, services: Services, flow: Flow, code: str) -> int:
    """The Telegram user id of a verified ID token for this code."""
    settings = services.settings
    assert settings.telegram_login_client_id and settings.telegram_login_client_secret
    client_id = settings.telegram_login_client_id
    issuer = settings.telegram_login_issuer
    provider = await _discovery(issuer)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        answer = await client.post(
            provider["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": _redirect_uri(request, services),
                "code_verifier": flow.verifier,
            },
            auth=(client_id, settings.telegram_login_client_secret.get_secret_value()),
        )
        answer.raise_for_status()
        id_token = str(answer.json()["id_token"])
        keys = await client.get(provider["jwks_uri"])
        keys.raise_for_status()
    token = jwt.decode(id_token, KeySet.import_key_set(keys.json()))
    JWTClaimsRegistry(
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        nonce={"essential": True, "value": flow.nonce},
    ).validate(token.claims)
    user = token.claims.get("id", token.claims.get("sub"))
    return int(str(user))
