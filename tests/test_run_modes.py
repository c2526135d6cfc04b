"""`helpline run` as real processes: webhook mode, and a hot standby on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from helpline.scripted import find_button
from helpline.testing import FakeTelegram, FakeTelegramServer, FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import Channel, Outbox, OutboxStatus

BIN = Path(sys.executable).parent
MIA = FakeUser(id=4001, first_name="Mia")
SECRET = "s3cret-token-for-webhooks"
COORDINATORS = -1005550000009
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(tmp_path: Path, server: FakeTelegramServer, database_url: str) -> dict[str, str]:
    return server.bot_environment(
        tmp_path, database_url, {"coordinatie": COORDINATORS}, DISPATCH_INTERVAL="0.5"
    )


def stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        output, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
    return output


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def post_update(port: int, update: dict[str, Any], secret: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram",
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_webhook_mode_checks_the_secret(tmp_path: Path, database_url: str) -> None:
    telegram = FakeTelegram()
    port = free_port()
    with FakeTelegramServer(telegram) as server:
        env = base_env(tmp_path, server, database_url)
        env.update(
            WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
        )
        proc = subprocess.Popen(
            [str(BIN / "helpline"), "run", "--webhook"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            telegram.wait_for(lambda: bool(telegram.webhook), timeout=30)
            assert telegram.webhook["secret_token"] == SECRET
            assert telegram.webhook["url"] == f"http://127.0.0.1:{port}/telegram"
            wait_port(port)
            forged = telegram.text(MIA, "/start", queue=False)
            assert post_update(port, forged, "wrong-secret-value") == 403
            assert post_update(port, telegram.text(MIA, "/start", queue=False), SECRET) == 200
            telegram.wait_for(lambda: len(telegram.sent(MIA.id)) >= 1, timeout=20)
            time.sleep(0.5)
            assert len(telegram.sent(MIA.id)) == 1, "the forged update must not be handled"
        finally:
            output = stop(proc)
    assert "Traceback" not in output, output[-3000:]


def test_webhook_without_settings_is_one_line(tmp_path: Path, database_url: str) -> None:
    telegram = FakeTelegram()
    with FakeTelegramServer(telegram) as server:
        env = base_env(tmp_path, server, database_url)
        result = subprocess.run(
            [str(BIN / "helpline"), "run", "--webhook"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert "WEBHOOK_URL and WEBHOOK_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


async def waiting_request(db: Database, reminder_due: datetime) -> str:
    """An unclaimed request in the coordinators' queue whose reminder falls due then."""
    async with db.session() as session:
        request = await repo.create_request(
            session=session,
            prefix="HH",
            channel=Channel.telegram,
            category="boodschappen",
            queue="coordinatie",
            created_at=datetime.now(UTC),
        )
        assert request.id is not None
        await repo.schedule_escalations(
            session=session,
            request_id=request.id,
            stages=[("reminder", reminder_due)],
            now=datetime.now(UTC),
        )
    return request.reference


async def outbox_settled(db: Database) -> None:
    """Waits (up to 20 s) until no outbox row is pending or in flight: every send recorded."""
    busy = (OutboxStatus.pending, OutboxStatus.sending)
    async with asyncio.timeout(20):
        while True:
            async with db.session() as session:
                waiting = await session.scalar(
                    select(func.count(col(Outbox.id))).where(col(Outbox.status).in_(busy))
                )
            if not waiting:
                return
            await asyncio.sleep(0.1)


def reminders(telegram: FakeTelegram, reference: str) -> int:
    """How often the queue group was reminded of ``reference``."""
    return sum(
        1 for m in telegram.sent(COORDINATORS) if m.get("text", "").startswith(f"⏰ {reference}")
    )


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the hot standby needs PostgreSQL (runs in the PostgreSQL leg of .ci/run)",
)
async def test_standby_takes_over_after_sigkill(tmp_path: Path, db: Database) -> None:
    telegram = FakeTelegram()
    with FakeTelegramServer(telegram) as server:
        env = base_env(tmp_path, server, db.url)
        await db.dispose()
        first = subprocess.Popen(
            [str(BIN / "helpline"), "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        telegram.wait_for(lambda: any(c.method == "setMyCommands" for c in telegram.calls), 30)
        second = subprocess.Popen(
            [str(BIN / "helpline"), "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            time.sleep(3)
            commands = [c for c in telegram.calls if c.method == "setMyCommands"]
            assert len(commands) == 1, "the standby must wait, not start"
            telegram.text(MIA, "/start")
            telegram.wait_for(lambda: len(telegram.sent(MIA.id)) >= 1, timeout=20)
            message, data = find_button(telegram, MIA.id, "akkoord")
            telegram.press(MIA, message, data)
            telegram.wait_for(lambda: "eigen woorden" in telegram.sent(MIA.id)[-1]["text"], 20)
            # One reminder the active instance sends, and one due just after it dies.
            early = await waiting_request(db, datetime.now(UTC))
            telegram.wait_for(lambda: reminders(telegram, early) == 1, 20)
            # Killed only once the send is recorded: a death between Telegram accepting a
            # message and its row being marked sent is crash recovery's case (test_crash_safety).
            await outbox_settled(db)
            late = await waiting_request(db, datetime.now(UTC) + timedelta(seconds=3))
            await db.dispose()
            first.kill()  # SIGKILL: no clean shutdown, the lock goes with the connection
            first.communicate(timeout=10)
            killed_at = time.monotonic()
            telegram.wait_for(
                lambda: len([c for c in telegram.calls if c.method == "setMyCommands"]) == 2, 20
            )
            took_over = time.monotonic() - killed_at
            telegram.text(MIA, "Ik heb hulp nodig met boodschappen doen")
            telegram.wait_for(lambda: "Gaat het over" in telegram.sent(MIA.id)[-1]["text"], 20)
            assert took_over < 15, f"standby took {took_over:.1f}s"
            telegram.wait_for(lambda: reminders(telegram, late) >= 1, 20)
            time.sleep(2)  # a few more dispatcher ticks of the new active instance
            assert reminders(telegram, early) == 1, "the dead instance's reminder came again"
            assert reminders(telegram, late) == 1, "the pending reminder must come once"
        finally:
            output = stop(second)
            if first.poll() is None:
                first.kill()
    assert "Traceback" not in output, output[-3000:]
