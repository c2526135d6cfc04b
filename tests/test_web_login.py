"""Logging in to the web page: the one-time link, sessions, form tokens, headers."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from pydantic import SecretStr

from helpline.testing import FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import Role
from tests.web_helpers import CSRF, csrf_of, web_app

SANNE = FakeUser(id=5101, first_name="Sanne")
PIET = FakeUser(id=5102, first_name="Piet")


async def test_login_link_works_once(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        sanne = await web.staff(SANNE, "wijkteam_drunen")
        token = await web.link(sanne)
        sent = web.h.telegram.last_sent(SANNE.id)
        assert sent["text"].startswith("Uw inloglink")
        browser = web.browser()
        # Opening the link only shows a button: a link preview uses nothing.
        shown = await browser.get(f"/web/login/{token}")
        assert shown.status_code == 200 and 'name="token"' in shown.text
        first = await browser.post("/web/login", data={"token": token})
        assert first.status_code == 303
        cookie = first.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        assert "Path=/web" in cookie
        assert (await browser.get("/web/queues")).status_code == 200
        second = await web.browser().post("/web/login", data={"token": token})
        assert second.status_code == 403
        assert "werkt niet meer" in second.text


async def test_two_simultaneous_uses_of_one_link_one_wins(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        token = await web.link(await web.staff(SANNE, "wijkteam_drunen"))
        answers = await asyncio.gather(
            *(web.browser().post("/web/login", data={"token": token}) for _ in range(5))
        )
        assert sorted(a.status_code for a in answers) == [303, 403, 403, 403, 403]


async def test_login_link_expires_after_ten_minutes(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        token = await web.link(await web.staff(SANNE, "wijkteam_drunen"))
        web.h.clock.advance(minutes=10, seconds=1)
        answer = await web.browser().post("/web/login", data={"token": token})
        assert answer.status_code == 403


async def test_forged_or_foreign_tokens_are_refused(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        token = await web.link(await web.staff(SANNE, "wijkteam_drunen"))
        raw, _, signature = token.partition(".")
        browser = web.browser()
        assert (await browser.get(f"/web/login/{raw}.x{signature[1:]}")).status_code == 400
        assert (await browser.post("/web/login", data={"token": raw})).status_code == 403
        # Another installation's secret signs differently: the same link is refused there.
        web.h.services.settings.web_secret = SecretStr("another-secret-" + "z" * 30)
        assert (await browser.post("/web/login", data={"token": token})).status_code == 403
        # A session cookie cannot be a login link, nor the other way round.
        thief = web.browser()
        thief.cookies.set("helpline_session", token)
        assert (await thief.get("/web/queues")).status_code == 401


async def test_no_link_for_non_staff_or_in_a_group(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        resident = web.h.chat(FakeUser(id=4999, first_name="Kees"))
        await resident.say("/inloggen")
        assert "/web/login/" not in resident.last_text()
        await web.staff(SANNE, "wijkteam_drunen")
        group = web.h.group("wijkteam_drunen")
        await resident.feed(
            web.h.telegram.text(
                SANNE, "/inloggen", chat_id=group, chat_type="supergroup", queue=False
            )
        )
        in_group = [m.get("text", "") for m in web.h.telegram.sent(group)]
        assert in_group and all("/web/login/" not in text for text in in_group)


async def test_web_page_is_off_without_secret(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        sanne = await web.staff(SANNE, "wijkteam_drunen")
        web.h.services.settings.web_secret = None
        await sanne.say("/inloggen")
        assert "niet aangezet" in sanne.last_text()
        assert (await web.browser().get("/web/queues")).status_code == 404


async def test_removed_staff_loses_access_at_once(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        browser = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        assert (await browser.get("/web/queues")).status_code == 200
        async with web.h.services.db.session() as session:
            assert await repo.remove_staff(session=session, telegram_user_id=SANNE.id)
        assert (await browser.get("/web/queues")).status_code == 401
        assert (await browser.get("/web/queues/live")).status_code == 401


async def test_demoted_coordinator_sees_only_own_queue_at_once(
    db: Database, tmp_path: Path
) -> None:
    async with web_app(db, tmp_path) as web:
        browser = await web.login(await web.staff(PIET, "coordinatie", role=Role.coordinator))
        assert "Wijkteam Drunen" in (await browser.get("/web/queues")).text
        async with web.h.services.db.session() as session:
            staff = await repo.get_staff(session=session, telegram_user_id=PIET.id)
            assert staff is not None
            staff.role = Role.volunteer
        page = (await browser.get("/web/queues")).text
        assert "Wijkteam Drunen" not in page


async def test_post_without_the_form_token_is_refused(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        browser = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        assert (await browser.post("/web/logout")).status_code == 403
        assert (await browser.post("/web/logout", data={"csrf": "guess"})).status_code == 403
        assert (await browser.get("/web/queues")).status_code == 200  # still logged in
        # Another session's token does not work either.
        other = await web.login(web.h.chat(SANNE))
        foreign = await csrf_of(other)
        assert (await browser.post("/web/logout", data={"csrf": foreign})).status_code == 403


async def test_logout_ends_the_session_in_the_database(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        browser = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        cookie = browser.cookies.get("helpline_session")
        answer = await browser.post("/web/logout", data={"csrf": await csrf_of(browser)})
        assert answer.status_code == 200 and "uitgelogd" in answer.text
        # The old cookie, kept by someone, no longer works.
        again = web.browser()
        again.cookies.set("helpline_session", str(cookie))
        assert (await again.get("/web/queues")).status_code == 401


async def test_session_ends_after_idle_time_and_polling_does_not_keep_it(
    db: Database, tmp_path: Path
) -> None:
    async with web_app(db, tmp_path) as web:
        browser = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        for _ in range(7):  # an open page polls; that is not someone using it
            web.h.clock.advance(minutes=4)
            assert (await browser.get("/web/queues/live")).status_code == 200
        web.h.clock.advance(minutes=3)
        assert (await browser.get("/web/queues/live")).status_code == 401


async def test_security_headers_on_every_page(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        browser = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        for path in ("/web/queues", "/web/queues/live", "/web/login/x.y", "/web/static/live.js"):
            answer = await browser.get(path)
            csp = answer.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp
            assert "frame-ancestors 'none'" in csp
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["referrer-policy"] == "no-referrer"
            if "/static/" not in path:
                assert answer.headers["cache-control"] == "no-store"
        page = (await browser.get("/web/queues")).text
        assert "<script>" not in page and "onclick" not in page
        assert CSRF.search(page)


async def test_secure_cookie_over_https(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        web.h.services.settings.web_base_url = "https://helpline.example.nl"
        token = await web.link(await web.staff(SANNE, "wijkteam_drunen"))
        assert "https://helpline.example.nl/web/login/" in web.h.chat(SANNE).last_text()
        answer = await web.browser().post("/web/login", data={"token": token})
        assert "secure" in answer.headers["set-cookie"].lower()


# Routes anyone may reach: the login itself, the language choice, the start redirect.
PUBLIC = {"/web", "/web/", "/web/login/{token}", "/web/login", "/web/lang/{lang}"}
PUBLIC |= {"/web/login/telegram", "/web/login/telegram/callback"}  # Log in with Telegram


async def test_every_web_route_refuses_anonymous_visitors(db: Database, tmp_path: Path) -> None:
    """A new page cannot be added without the session check (``sessions.page``)."""
    from starlette.routing import Route

    async with web_app(db, tmp_path) as web:
        routes = [r for r in web.app.routes if isinstance(r, Route)]  # type: ignore[attr-defined]
        checked = 0
        browser = web.browser()
        for route in routes:
            if not route.path.startswith("/web") or route.path in PUBLIC:
                continue
            path = re.sub(r"\{[a-z_]+:int\}", "1", route.path)
            for method in sorted(route.methods or ()):
                if method == "HEAD":
                    continue
                answer = await browser.request(
                    method, path, data={"csrf": "x"} if method == "POST" else None
                )
                assert answer.status_code == 401, (method, path)
                checked += 1
        assert checked >= 8
