"""The channels beside Telegram load only when their settings are there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
