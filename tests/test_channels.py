"""The channels beside Telegram load only when their settings are there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from helpline.channels import AMI_KEY, HTTP_KEY, MAIL_KEY, start_channels, stop_channels
from helpline.services import SERVICES_KEY

ROOT = Path(__file__).resolve().parents[1]
# The web server, the mail clients, Asterisk's client, the migrations and the holiday
# library of every country: none of them is needed by a line on Telegram alone.
OPTIONAL = ("starlette", "uvicorn", "jinja2", "aioimaplib", "aiosmtplib", "panoramisk")
NEVER = ("alembic", "holidays")


def loaded_by_the_bot(tmp_path: Path, **settings: str) -> set[str]:
    """The optional packages a built application has imported, with these settings."""
    probe = (
        "import sys\n"
        "from helpline.app import build_application\n"
        "from helpline.settings import Settings\n"
        "build_application(Settings())\n"
        f"print(' '.join(m for m in {OPTIONAL + NEVER!r} if m in sys.modules))\n"
    )
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123456:ABCdefghijklmnopqrstuvwxyz0123456789",
        "HELPLINE_DATA_DIR": str(tmp_path),
        **settings,
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return set(result.stdout.split())


def test_a_line_on_telegram_alone_loads_no_channel(tmp_path: Path) -> None:
    assert loaded_by_the_bot(tmp_path) == set()


async def test_each_configured_channel_starts_and_stops_with_the_bot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import helpline.ami
    import helpline.mail.service
    import helpline.web.server

    calls: list[str] = []
    modules = {
        HTTP_KEY: (helpline.web.server, "http_server"),
        MAIL_KEY: (helpline.mail.service, "mail"),
        AMI_KEY: (helpline.ami, "ami"),
    }
    for key, (module, name) in modules.items():

        async def start(app: Any, key: str = key, name: str = name) -> None:
            calls.append(f"start {name}")
            app.bot_data[key] = object()

        async def stop(app: Any, key: str = key, name: str = name) -> None:
            calls.append(f"stop {name}")
            app.bot_data.pop(key)

        monkeypatch.setattr(module, f"start_{name}", start)
        monkeypatch.setattr(module, f"stop_{name}", stop)
    settings = SimpleNamespace(http_port=None, imap_url=None, ami_url="ami://pbx.local")
    application = SimpleNamespace(bot_data={SERVICES_KEY: SimpleNamespace(settings=settings)})
    await start_channels(application)  # type: ignore[arg-type]
    await stop_channels(application)  # type: ignore[arg-type]
    assert calls == ["start ami", "stop ami"]
    settings.http_port, settings.imap_url = 0, "imaps://line@mail.local/INBOX"
    await start_channels(application)  # type: ignore[arg-type]
    await stop_channels(application)  # type: ignore[arg-type]
    await stop_channels(application)  # type: ignore[arg-type]  # twice: nothing more
    assert calls[2:] == [
        "start http_server",
        "start mail",
        "start ami",
        "stop http_server",
        "stop mail",
        "stop ami",
    ]
