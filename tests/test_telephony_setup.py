"""Setting up the phone line: the settings, `staff add --phone-extension`, a port already taken."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from helpline.settings import Settings, SettingsError, load_settings
from helpline.web.server import HttpServer, HttpStartError, build_web_app
from storage.db import Database
from storage.models import Staff
from tests.bot_harness import running_app

BIN = Path(sys.executable).parent


def settings(**values: str) -> Settings:
    return load_settings(_env_file=None, **values)


def test_http_port_unset_or_empty_means_no_server() -> None:
    assert settings().http_port is None
    assert settings(http_port="").http_port is None
    assert settings(http_port="8080").http_port == 8080
    assert settings().http_listen == "127.0.0.1"


@pytest.mark.parametrize(
    ("values", "line"),
    [
        ({"http_port": "70000"}, "setting HTTP_PORT: Input should be less than or equal to 65535"),
        ({"telephony_secret": "short"}, "setting TELEPHONY_SECRET: must be 16 to 256 characters"),
        ({"telephony_secret": "spaces are not ok here"}, "setting TELEPHONY_SECRET: must be 16"),
    ],
)
def test_bad_telephony_settings_are_one_line(values: dict[str, str], line: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings(**values)
    assert str(caught.value).startswith(line)


def test_unset_secret_is_none() -> None:
    assert settings(telephony_secret="").telephony_secret is None


async def test_unknown_telephony_queue_stops_the_start(db: Database, tmp_path: Path) -> None:
    from flows.config import ConfigError
    from helpline.app import build_services
    from tests.bot_harness import make_settings

    bad = make_settings(tmp_path, db.url, [])
    bad.telephony_queue = "nergens"
    with pytest.raises(ConfigError, match="setting TELEPHONY_QUEUE: unknown queue 'nergens'"):
        build_services(bad, db=db)


async def test_a_port_in_use_is_one_line(db: Database, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with running_app(db, tmp_path) as h:
            server = HttpServer(build_web_app(h.app), "127.0.0.1", port)
            with pytest.raises(HttpStartError) as caught:
                await server.start()
            await server.stop()  # never started: nothing to stop
    assert str(caught.value).startswith(f"setting HTTP_PORT: cannot listen on 127.0.0.1:{port}")


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    env["HELPLINE_DATA_DIR"] = str(tmp_path)
    return subprocess.run(
        [str(BIN / "helpline"), *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_staff_add_stores_the_phone_extension(tmp_path: Path) -> None:
    base = ["staff", "add", "--telegram-id", "5001", "--name", "Sanne", "--queue", "coordinatie"]
    bad = _cli(tmp_path, *base, "--phone-extension", "201; drop")
    assert bad.returncode != 0 and bad.stderr.strip().endswith(
        "--phone-extension must be 1 to 32 letters, digits or _ . @ + -"
    )
    good = _cli(tmp_path, *base, "--phone-extension", "201")
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "Added Sanne (staff) to: coordinatie, phone extension 201."
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        rows = conn.execute(f"SELECT phone_extension FROM {Staff.__tablename__}").fetchall()
    assert rows == [("201",)]
