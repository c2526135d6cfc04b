"""Log in with Telegram (OpenID Connect) against a fake provider over HTTP on 127.0.0.1:
discovery, the authorization redirect with state, nonce and PKCE, the code exchange with
the client secret and the verifier, and an RS256 ID token checked with the published
keys. A forged state, a token for another client, a wrong nonce, an unknown account and
a provider that is down are all refused with one clear page."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

import helpline.web.telegram_login as telegram_login
from helpline.testing import FakeUser
from storage.db import Database
from tests.http_helpers import serve
from tests.web_helpers import web_app

SANNE = FakeUser(id=5201, first_name="Sanne")
CLIENT_ID, CLIENT_SECRET = "7012345678", "bot-login-secret"


class FakeTelegramLogin:
    """Telegram's OpenID provider, as far as the helpline uses it; the user says yes."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256"})
        self.issuer = ""
        self.user_id = SANNE.id
        self.audience = CLIENT_ID
        self.nonce_override: str | None = None
        self.codes: dict[str, dict[str, str]] = {}
        self.token_requests: list[dict[str, Any]] = []

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/auth",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            }
        )

    async def authorize(self, request: Request) -> Response:
        asked = dict(request.query_params)
        code = f"code-{len(self.codes)}"
        self.codes[code] = asked
        target = f"{asked['redirect_uri']}?code={code}&state={asked['state']}"
        return RedirectResponse(target, 302)

    async def token(self, request: Request) -> Response:
        form = dict(await request.form())
        self.token_requests.append({**form, "auth": request.headers.get("authorization", "")})
        asked = self.codes.get(str(form.get("code")))
        if asked is None:
            return JSONResponse({"error": "invalid_grant"}, 400)
        verifier = str(form.get("code_verifier", ""))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.decode().rstrip("=") != asked["code_challenge"]:
            return JSONResponse({"error": "invalid_grant"}, 400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(self.user_id),
            "id": self.user_id,
            "iat": now,
            "exp": now + 300,
            "nonce": self.nonce_override or asked["nonce"],
            "name": "Sanne",
        }
        token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        return JSONResponse({"access_token": "a", "token_type": "Bearer", "id_token": token})

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(KeySet([self.key]).as_dict(private=False))


@asynccontextmanager
async def provider() -> AsyncIterator[FakeTelegramLogin]:
    fake = FakeTelegramLogin()
    app = Starlette(
        routes=[
            Route("/.well-known/openid-configuration", fake.discovery),
            Route("/.well-known/jwks.json", fake.jwks),
            Route("/auth", fake.authorize),
            Route("/token", fake.token, methods=["POST"]),
        ]
    )
    async with serve(app) as base:
        fake.issuer = base
        telegram_login._discovered.clear()
        yield fake


async def through_telegram(browser: Any, fake: FakeTelegramLogin, state: str | None = None) -> Any:
    """Start on the page, let the fake provider answer, come back to the callback."""
    start = await browser.get("/web/login/telegram")
    assert start.status_code == 303, start.text
    async with httpx.AsyncClient() as outside:
        at_telegram = await outside.get(start.headers["location"])
    assert at_telegram.status_code == 302
    back = urlsplit(at_telegram.headers["location"])
    query = parse_qs(back.query)
    if state is not None:
        query["state"] = [state]
    return await browser.get(
        "/web/login/telegram/callback",
        params={"code": query["code"][0], "state": query["state"][0]},
    )


async def test_log_in_with_telegram_opens_a_session_for_staff(db: Database, tmp_path: Path) -> None:
    async with provider() as fake, web_app(db, tmp_path) as web:
        settings = web.h.services.settings
        settings.telegram_login_client_id = CLIENT_ID
        settings.telegram_login_client_secret = SecretStr(CLIENT_SECRET)
        settings.telegram_login_issuer = fake.issuer
        await web.staff(SANNE, "wijkteam_drunen")
        browser = web.browser()
        needed = await browser.get("/web/queues")
        assert needed.status_code == 401 and "/web/login/telegram" in needed.text
        start = await browser.get("/web/login/telegram")
        asked = parse_qs(urlsplit(start.headers["location"]).query)
        assert asked["code_challenge_method"] == ["S256"] and asked["client_id"] == [CLIENT_ID]
        assert "samesite=lax" in start.headers["set-cookie"].lower()
        done = await through_telegram(browser, fake)
        assert done.status_code == 200 and "url=/web/queues" in done.text
        assert "samesite=strict" in done.headers["set-cookie"].lower()
        queues = await browser.get("/web/queues")
        assert queues.status_code == 200 and "Sanne" in queues.text
        [exchange] = fake.token_requests[-1:]
        assert exchange["code_verifier"] and exchange["auth"].startswith("Basic ")


async def test_log_in_with_telegram_refusals(db: Database, tmp_path: Path) -> None:
    async with provider() as fake, web_app(db, tmp_path) as web:
        settings = web.h.services.settings
        assert (await web.browser().get("/web/login/telegram")).status_code == 404  # not set up
        settings.telegram_login_client_id = CLIENT_ID
        settings.telegram_login_client_secret = SecretStr(CLIENT_SECRET)
        settings.telegram_login_issuer = fake.issuer
        await web.staff(SANNE, "wijkteam_drunen")
        forged = await through_telegram(web.browser(), fake, state="forged-state")
        assert forged.status_code == 403 and "Inloggen niet gelukt" in forged.text
        no_cookie = await web.browser().get(
            "/web/login/telegram/callback", params={"code": "code-0", "state": "x"}
        )
        assert no_cookie.status_code == 403
        fake.audience = "another-bot"
        assert "Inloggen niet gelukt" in (await through_telegram(web.browser(), fake)).text
        fake.audience, fake.nonce_override = CLIENT_ID, "replayed-nonce"
        assert "Inloggen niet gelukt" in (await through_telegram(web.browser(), fake)).text
        fake.nonce_override, fake.user_id = None, 999999  # a real account, not staff
        stranger = await through_telegram(web.browser(), fake)
        assert stranger.status_code == 403 and "geen medewerker" in stranger.text
        assert "helpline_session" not in stranger.headers.get("set-cookie", "")
        settings.telegram_login_issuer = "http://127.0.0.1:9"  # nothing listens there
        telegram_login._discovered.clear()
        down = await web.browser().get("/web/login/telegram")
        assert down.status_code == 503 and "/inloggen" in down.text
