"""End to end: `helpline run` with HTTP_PORT; CTI events over HTTP; pops via the fake Bot API."""

from __future__ import annotations

import asyncio
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from flows.rota import Span
from helpline.testing import FakeTelegram, FakeTelegramServer, FakeUser
from storage.db import Database
from storage.repository import rota as rota_repo

BIN = Path(sys.executable).parent
SANNE = FakeUser(id=5001, first_name="Sanne")
GROUP = -1005550000001
SECRET = "e2e-telephony-secret-0123"
FIXTURES = Path(__file__).parent / "data" / "telephony"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, server: FakeTelegramServer, port: int) -> dict[str, str]:
    return server.bot_environment(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        {"coordinatie": GROUP},
        DISPATCH_INTERVAL="0.5",
        HTTP_LISTEN="127.0.0.1",
        HTTP_PORT=str(port),
        TELEPHONY_SECRET=SECRET,
    )


def _on_duty_all_day(db_path: Path, staff_telegram_id: int) -> None:
    """Puts the staff member on the rota around the clock from yesterday to tomorrow, so the
    pop does not depend on the hour the test runs (outside opening hours nobody is popped)."""

    async def add() -> None:
        db = Database(f"sqlite+aiosqlite:///{db_path}")
        try:
            async with db.session() as session:
                staff_id = (
                    await session.execute(
                        text("SELECT id FROM staff WHERE telegram_user_id = :t"),
                        {"t": staff_telegram_id},
                    )
                ).scalar_one()
                now = datetime.now(UTC)
                today = now.astimezone(ZoneInfo("Europe/Amsterdam")).date()
                for offset in (-1, 0, 1):
                    await rota_repo.add_exception(
                        session=session,
                        staff_id=staff_id,
                        day=today + timedelta(days=offset),
                        span=Span(0, 1440),
                        on_duty=True,
                        now=now,
                    )
        finally:
            await db.dispose()

    asyncio.run(add())


def _wait_http(url: str, proc: subprocess.Popen[str]) -> None:
    for _ in range(300):
        assert proc.poll() is None, "helpline run ended early"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the HTTP server did not come up")


def test_run_serves_cti_webhooks_and_pops_arrive(tmp_path: Path) -> None:
    telegram = FakeTelegram()
    port = _free_port()
    with FakeTelegramServer(telegram) as server:
        env = _env(tmp_path, server, port)
        staff = ["--telegram-id", str(SANNE.id), "--name", "Sanne", "--role", "coordinator"]
        staff += ["--queue", "coordinatie", "--phone-extension", "201"]
        add = subprocess.run(
            [str(BIN / "helpline"), "staff", "add", *staff],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert add.returncode == 0, add.stderr
        assert "phone extension 201" in add.stdout
        _on_duty_all_day(tmp_path / "e2e.db", SANNE.id)
        proc = subprocess.Popen(
            [str(BIN / "helpline"), "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_http(f"{base}/healthz", proc)
            ring, answer, hangup = (FIXTURES / "cti_answered.form").read_bytes().splitlines()
            form = {"content-type": "application/x-www-form-urlencoded"}
            post = f"{base}/telephony/cti/{SECRET}"
            assert httpx.post(post, content=ring, headers=form).status_code == 200

            def popped(needle: str) -> bool:
                return any(needle in (m.get("text") or "") for m in telegram.sent(SANNE.id))

            telegram.wait_for(lambda: popped("Inkomend gesprek"), timeout=20)
            assert httpx.post(post, content=answer, headers=form).status_code == 200
            telegram.wait_for(lambda: popped("Opgenomen door Sanne"), timeout=20)
            assert httpx.post(post, content=hangup, headers=form).status_code == 200
            telegram.wait_for(lambda: popped("afgelopen"), timeout=20)
            wrong = httpx.post(
                f"{base}/telephony/cti/not-the-secret-at-all", content=ring, headers=form
            )
            assert wrong.status_code == 403
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                output, _ = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                output, _ = proc.communicate()
        assert proc.returncode == 0, output[-3000:]
        assert "Traceback" not in output, output[-3000:]
        assert "HTTP server stopped" in output or "HTTP server listening" in output
        with pytest.raises(httpx.TransportError):  # stopped with the bot
            httpx.get(f"{base}/healthz", timeout=1)
    with sqlite3.connect(tmp_path / "e2e.db") as conn:
        state, contact_id = conn.execute("SELECT state, contact_id FROM phone_call").fetchone()
        channel, event = conn.execute("SELECT channel, event FROM contact").fetchone()
    assert state == "ended" and contact_id is not None and (channel, event) == ("phone", "call")
    assert "612345678" not in output and SECRET not in output, "logs leak a number or the secret"
