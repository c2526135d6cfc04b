"""End to end: `helpline run` as a real process against the fake Bot API over HTTP on 127.0.0.1."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpline.scripted import find_button
from helpline.testing import FakeTelegram, FakeTelegramServer, FakeUser

BIN = Path(sys.executable).parent
MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
GROUP = -1005550000001

pytestmark = pytest.mark.slow


def _env(tmp_path: Path, server: FakeTelegramServer) -> dict[str, str]:
    return server.bot_environment(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        {"wijkteam_drunen": GROUP, "coordinatie": GROUP - 1},
        DISPATCH_INTERVAL="0.5",
    )


def _press(telegram: FakeTelegram, user: FakeUser, label: str, chat_id: int | None = None) -> None:
    message, data = find_button(telegram, chat_id or user.id, label)
    telegram.press(user, message, data)


def _wait_text(telegram: FakeTelegram, chat_id: int, needle: str) -> dict[str, Any]:
    def found() -> bool:
        return any(needle in (m.get("text") or "") for m in telegram.sent(chat_id))

    telegram.wait_for(found, timeout=20)
    return next(m for m in reversed(telegram.sent(chat_id)) if needle in (m.get("text") or ""))


def test_run_serves_intake_and_claim_over_http(tmp_path: Path) -> None:
    telegram = FakeTelegram()
    with FakeTelegramServer(telegram) as server:
        env = _env(tmp_path, server)
        add = subprocess.run(
            [
                str(BIN / "helpline"),
                "staff",
                "add",
                "--telegram-id",
                str(SANNE.id),
                "--name",
                "Sanne",
                "--role",
                "staff",
                "--queue",
                "wijkteam_drunen",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert add.returncode == 0, add.stderr
        proc = subprocess.Popen(
            [str(BIN / "helpline"), "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            telegram.text(MIA, "/start")
            _wait_text(telegram, MIA.id, "akkoord")
            _press(telegram, MIA, "akkoord")
            _wait_text(telegram, MIA.id, "eigen woorden")
            telegram.text(MIA, "Ik heb hulp nodig met een formulier van de gemeente")
            _wait_text(telegram, MIA.id, "Gaat het over")
            _press(telegram, MIA, "Ja")
            _wait_text(telegram, MIA.id, "welke plaats")
            _press(telegram, MIA, "Drunen")
            _wait_text(telegram, MIA.id, "bereiken")
            telegram.contact(MIA, "+31612345678")
            _wait_text(telegram, MIA.id, "best uit")
            _press(telegram, MIA, "Ochtend")
            _wait_text(telegram, MIA.id, "Klopt dit")
            _press(telegram, MIA, "Versturen")
            _wait_text(telegram, MIA.id, "HH-")
            _wait_text(telegram, GROUP, "Nieuwe vraag")
            _press(telegram, SANNE, "Oppakken", chat_id=GROUP)
            _wait_text(telegram, SANNE.id, "opgepakt")
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                output, _ = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                output, _ = proc.communicate()
        assert "Traceback" not in output, output[-3000:]
    with sqlite3.connect(tmp_path / "e2e.db") as conn:
        status, claimed_by = conn.execute("SELECT status, claimed_by FROM request").fetchone()
        events = sorted(r[0] for r in conn.execute("SELECT event FROM contact"))
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert status == "claimed" and claimed_by is not None
    assert events == ["claim", "intake"]
    assert "612345678" not in output and "formulier" not in output, "logs leak resident data"
