"""The CLI: one clear line for every mistake, and the demo on a fresh machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpline.cli import app
from helpline.demo import run_demo

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TIME_ZONE", "Mars/Base", "setting TIME_ZONE: unknown time zone"),
        ("QUEUE_CHATS", "{not json", "setting QUEUE_CHATS: not valid JSON"),
        ("QUEUE_CHATS", '{"belmaatjes": "abc"}', "setting QUEUE_CHATS"),
        ("DATABASE_URL", "mysql://x", "setting DATABASE_URL"),
        ("TELEGRAM_BOT_TOKEN", "nonsense", "setting TELEGRAM_BOT_TOKEN"),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "setting TELEGRAM_API_BASE_URL"),
        ("DEFAULT_LANGUAGE", "fr", "setting DEFAULT_LANGUAGE"),
    ],
)
def test_bad_setting_is_one_clear_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    result = runner.invoke(app, ["staff", "list"])
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_staff_add_list_remove(env: Path) -> None:
    args = [
        "staff",
        "add",
        "--telegram-id",
        "77",
        "--name",
        "Anna",
        "--role",
        "volunteer",
        "--queue",
        "belmaatjes",
    ]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "already registered" in again.output
    listed = runner.invoke(app, ["staff", "list"])
    assert "77\tAnna\tvolunteer\tbelmaatjes" in listed.output
    assert runner.invoke(app, ["staff", "remove", "--telegram-id", "77"]).exit_code == 0
    gone = runner.invoke(app, ["staff", "remove", "--telegram-id", "77"])
    assert gone.exit_code == 1 and "no active staff member" in gone.output


def test_staff_add_unknown_queue(env: Path) -> None:
    result = runner.invoke(
        app, ["staff", "add", "--telegram-id", "1", "--name", "X", "--queue", "nope"]
    )
    assert result.exit_code == 2 and "unknown queue 'nope'" in result.output


def test_db_upgrade(env: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output
    assert (env / "data" / "helpline.db").exists()


def test_run_without_token_runs_the_demo(env: Path) -> None:
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 0, result.output
    assert "TELEGRAM_BOT_TOKEN is not set" in result.output
    assert "Demo finished" in result.output


async def test_demo_shows_intake_card_and_claim() -> None:
    lines = await run_demo(echo=False)
    text = "\n".join(lines)
    assert "HH-2026-" in text or "HH-20" in text
    assert "Nieuwe vraag" in text
    assert "Opgepakt door Sanne" in text
