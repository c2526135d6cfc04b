"""One real browser (Debian's headless Chromium) against the real HTTP server on 127.0.0.1.

Logs in with the bot's one-time link, sees the queue, claims a request, sees it
claimed; then a claim made in Telegram shows on the open page within 2 s (the page's
script, allowed by the Content-Security-Policy, polls), with no CSP error in the console.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from helpline.testing import FakeUser
from helpline.web.server import start_http_server, stop_http_server
from storage.db import Database
from tests.bot_harness import complete_intake, running_app
from tests.web_helpers import WEB_SECRET

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None or DRIVER is None,
        reason="no chromium/chromedriver binary (Debian: apt-get install chromium chromium-driver)",
    ),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

MIA = FakeUser(id=4301, first_name="Mia")
KEES = FakeUser(id=4302, first_name="Kees")
SANNE = FakeUser(id=5301, first_name="Sanne")
JOOST = FakeUser(id=5302, first_name="Joost")


def _browser():  # type: ignore[no-untyped-def]
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(DRIVER)), options=options)


def _log_in_and_claim(driver, link: str) -> str:  # type: ignore[no-untyped-def]
    """Opens the link, presses Inloggen, claims Mia's request; the page's text after."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(link)
    driver.find_element(By.ID, "login").click()
    WebDriverWait(driver, 10).until(ec.title_contains("Wachtrijen"))
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "Mia" in body and "Kees" in body
    driver.find_element(By.XPATH, "//tr[contains(., 'Mia')]//button").click()
    WebDriverWait(driver, 10).until(ec.url_contains("m=claim_won"))
    return str(driver.find_element(By.TAG_NAME, "body").text)


def _wait_for_text(driver, text: str, seconds: float) -> float:  # type: ignore[no-untyped-def]
    """Seconds until ``text`` shows on the page without reloading it."""
    from selenium.webdriver.common.by import By

    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if text in driver.find_element(By.ID, "live").text:
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{text!r} did not show within {seconds} s")


@pytest.mark.timeout(180)
async def test_log_in_see_queue_claim_and_see_telegram_claim_live(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        h.services.settings.web_secret = SecretStr(WEB_SECRET)
        h.services.settings.http_port = 0
        server = await start_http_server(h.app)
        assert server is not None and server.host == "127.0.0.1"
        driver = None
        try:
            await complete_intake(h.chat(MIA), "Ik heb hulp nodig met een formulier")
            await complete_intake(h.chat(KEES), "Ik zoek iemand voor boodschappen", phone=None)
            sanne = await h.add_staff(SANNE, "wijkteam_drunen", "vrijwilligers")
            joost = await h.add_staff(JOOST, "wijkteam_drunen", "vrijwilligers")
            await sanne.say("/inloggen")
            found = re.search(r"http://127\.0\.0\.1:\d+/web/login/\S+", sanne.last_text())
            assert found, sanne.last_text()
            driver = await asyncio.to_thread(_browser)
            after = await asyncio.to_thread(_log_in_and_claim, driver, found.group(0))
            assert "door Sanne" in after and "U heeft de vraag opgepakt" in after
            # Joost claims the other request in Telegram; the open page shows it by itself.
            kees_card = [
                m
                for m in h.telegram.sent()
                if "Kees" in m.get("text", "") and m.get("reply_markup")
            ]
            assert kees_card
            chat_id = kees_card[-1]["chat"]["id"]
            await joost.press("Oppakken", chat_id=chat_id)
            h.clock.advance(seconds=0.5)  # the line's clock: the shared fragment's age
            seconds = await asyncio.to_thread(_wait_for_text, driver, "door Joost", 2.0)
            print(f"Telegram claim shown on the page after {seconds:.2f} s")
            console = await asyncio.to_thread(driver.get_log, "browser")
            assert not [e for e in console if "Content Security Policy" in e.get("message", "")]
        finally:
            if driver is not None:
                await asyncio.to_thread(driver.quit)
            await stop_http_server(h.app)


AXE = Path(__file__).resolve().parent.parent / ".ci" / "axe" / "node_modules" / "axe-core"
# Set to a folder to keep a screenshot of every page (the README's come from here).
SCREENSHOTS = os.environ.get("HELPLINE_SCREENSHOTS")


def _axe_violations(driver, url: str, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Opens ``url`` and runs axe-core's WCAG 2 A and AA rules on it."""
    driver.get(url)
    if SCREENSHOTS:
        driver.set_window_size(1200, 900)
        driver.save_screenshot(str(Path(SCREENSHOTS) / f"web-{name}.png"))
    driver.execute_script((AXE / "axe.min.js").read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
        ".then(r => done({passes: r.passes.length, violations: r.violations.map("
        "v => v.id + ': ' + v.help + ' (' + v.nodes.length + ')')}))"
    )
    assert result["passes"] >= 10, f"axe-core did not run on {name}"  # it checked the page
    return [f"{name}: {line}" for line in result["violations"]]


def _tab_reaches(driver, text: str, presses: int = 40) -> bool:  # type: ignore[no-untyped-def]
    """True when pressing Tab from the top of the page focuses a control showing ``text``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    body = driver.find_element(By.TAG_NAME, "body")
    body.click()
    for _ in range(presses):
        body.send_keys(Keys.TAB)
        active = driver.switch_to.active_element
        if text in (active.text or active.get_attribute("value") or ""):
            return True
        body = active
    return False


@pytest.mark.timeout(240)
@pytest.mark.skipif(not (AXE / "axe.min.js").is_file(), reason="axe-core not installed (.ci/run)")
async def test_every_page_passes_axe_and_works_by_keyboard(db: Database, tmp_path: Path) -> None:
    from sqlmodel import select

    from storage.models import Request, Role

    async with running_app(db, tmp_path) as h:
        h.services.settings.web_secret = SecretStr(WEB_SECRET)
        h.services.settings.http_port = 0
        server = await start_http_server(h.app)
        assert server is not None
        base = f"http://127.0.0.1:{server.port}"
        driver = None
        try:
            await complete_intake(h.chat(MIA), "Ik heb hulp nodig met een formulier")
            await complete_intake(h.chat(KEES), "Ik zoek iemand voor boodschappen", phone=None)
            carla = await h.add_staff(SANNE, "coordinatie", role=Role.coordinator)
            await carla.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
            await carla.say("/plan HH-2026-00001 morgen 10:00")
            await carla.press("Inplannen")
            await carla.say("/inloggen")
            found = re.search(r"http://127\.0\.0\.1:\d+/web/login/\S+", carla.last_text())
            assert found, carla.last_text()
            driver = await asyncio.to_thread(_browser)
            problems = await asyncio.to_thread(_axe_violations, driver, found.group(0), "login")
            await asyncio.to_thread(_log_in, driver)
            async with h.services.db.session() as session:
                first = (await session.scalars(select(Request).order_by(Request.id))).first()
            assert first is not None
            pages = {
                "queues": "/web/queues",
                "case": f"/web/requests/{first.id}",
                "resident": f"/web/residents/{first.resident_id}",
                "search": "/web/search",
                "agenda": "/web/agenda",
                "reports": "/web/reports?period=2026&by=village",
                "staff": "/web/staff",
                "privacy": "/web/privacy",
            }
            for name, path in pages.items():
                problems += await asyncio.to_thread(_axe_violations, driver, base + path, name)
            assert problems == [], "\n".join(problems)
            await asyncio.to_thread(driver.get, base + "/web/queues")
            assert await asyncio.to_thread(_tab_reaches, driver, "Oppakken")
        finally:
            if driver is not None:
                await asyncio.to_thread(driver.quit)
            await stop_http_server(h.app)


def _log_in(driver) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.find_element(By.ID, "login").click()
    WebDriverWait(driver, 10).until(ec.title_contains("Wachtrijen"))
