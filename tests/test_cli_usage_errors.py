"""A usage mistake on the command line is one line pointing to --help, like every other error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpline.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data directory, so nothing here can touch a real database."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.mark.parametrize(
    ("args", "problem", "help_of"),
    [
        (
            ["staff", "add", "--telegram-id", "abc", "--name", "Anna"],
            "helpline: invalid value for '--telegram-id'",
            "helpline staff add",
        ),
        (["staff", "remove"], "helpline: missing option '--telegram-id'", "helpline staff remove"),
        (
            ["staff", "add", "--telegram-id", "5", "--name"],
            "helpline: option '--name' requires an argument",
            "helpline staff add",
        ),
        (["staff", "add", "--role"], "helpline: option '--role' requires", "helpline staff add"),
        (["frobnicate"], "helpline: no such command 'frobnicate'", "helpline"),
        (["staff", "promote"], "helpline: no such command 'promote'", "helpline staff"),
        (["--bogus"], "helpline: no such option: --bogus", "helpline"),
        (
            ["db", "upgrade", "now"],
            "helpline: got unexpected extra argument",
            "helpline db upgrade",
        ),
        (["import", "contacts"], "helpline: missing argument", "helpline import contacts"),
        (
            ["audit", "--from", "2026-01-01", "--to", "2026-02-01", "--format", "xml"],
            "helpline: invalid value for '--format'",
            "helpline audit",
        ),
        (["triage", "retrain", "--x"], "helpline: no such option: --x", "helpline triage retrain"),
    ],
)
def test_usage_error_is_one_line_pointing_to_the_commands_help(
    args: list[str], problem: str, help_of: str
) -> None:
    result = runner.invoke(app, args, prog_name="helpline")
    assert result.exit_code == 2, result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith(problem), line
    assert line.endswith(f"(see {help_of} --help)"), line
    assert "Usage:" not in result.output and "╭" not in result.output


def test_help_and_no_arguments_still_show_the_help() -> None:
    result = runner.invoke(app, ["staff", "add", "--help"], prog_name="helpline")
    assert result.exit_code == 0 and "--telegram-id" in result.output
    result = runner.invoke(app, ["staff"], prog_name="helpline")
    assert "add" in result.output and "remove" in result.output
    assert "helpline:" not in result.output


def test_the_installed_command_prints_one_line_on_stderr(env: Path) -> None:
    helpline = Path(sys.executable).parent / "helpline"
    result = subprocess.run(
        [str(helpline), "staff", "remove", "--telegram-id", "twelve"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("helpline: invalid value for '--telegram-id'")
    assert line.endswith("(see helpline staff remove --help)")
