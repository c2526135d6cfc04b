"""The CLI: one clear line for every mistake, and the demo on a fresh machine."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpline.cli import app
from helpline.demo import run_demo, run_email_demo, run_phone_demo
from helpline.testing import FakeTelegram, FakeTelegramServer

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


async def test_email_demo_shows_mail_in_card_claim_and_mails_out() -> None:
    lines = await run_email_demo(echo=False)
    text = "\n".join(lines)
    assert "📧 in  mia.devries@example.nl: Hulp met een formulier" in text
    assert "✉️ Via e-mail" in text and "Opgepakt door Sanne" in text
    assert "Telefoon: geen; per e-mail: mia.devries@example.nl" in text  # the holder's view
    outgoing = [line for line in lines if line.startswith("✉️ out")]
    assert len(outgoing) == 2  # the auto-reply and Sanne's answer
    assert "Ik kom dinsdag om tien uur" in outgoing[1] and "Sanne" not in outgoing[1]


async def test_phone_demo_pops_answers_logs_and_links_the_call() -> None:
    lines = await run_phone_demo(echo=False)
    text = "\n".join(lines)
    assert "📞 Inkomend gesprek — 06 12345678 — bekend: Mia (Drunen)" in text
    assert "✅ Opgenomen door Sanne" in text
    assert "Bij HH-2026-00001" in text and "✅ Vastgelegd bij HH-2026-00001." in text
    assert "📒 contact logged: phone inbound call, resident bekend, request 1" in text
    assert "demo-telephony-secret" not in text  # the webhook's secret is not shown


def test_demo_email_and_phone_options_on_the_command_line(env: Path) -> None:
    result = runner.invoke(app, ["demo", "--email"])
    assert result.exit_code == 0, result.output
    assert "reply by email" in result.output
    result = runner.invoke(app, ["demo", "--phone"])
    assert result.exit_code == 0, result.output
    assert "contact logged → follow-up" in result.output


async def test_demo_shows_intake_card_and_claim() -> None:
    lines = await run_demo(echo=False)
    text = "\n".join(lines)
    assert "HH-2026-" in text or "HH-20" in text
    assert "Nieuwe vraag" in text
    assert "Opgepakt door Sanne" in text


COMMANDS = [
    ["run"],
    ["demo"],
    ["db", "upgrade"],
    ["staff", "add", "--telegram-id", "1", "--name", "X"],
    ["export"],
    ["import", "contacts", "x.csv"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_every_command_names_a_bad_time_zone_in_one_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("TIME_ZONE", "Mars/Base")
    result = runner.invoke(app, command)
    assert result.exit_code == 2
    assert result.output.strip() == "helpline: setting TIME_ZONE: unknown time zone 'Mars/Base'"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("QUEUE_CHATS", '{"nope": -100}', "setting QUEUE_CHATS: unknown queue 'nope'"),
        ("FLOWS_DIR", "/no/such/flows", "flows directory /no/such/flows does not exist"),
    ],
)
def test_run_without_token_checks_the_configuration_before_the_demo(
    env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == f"helpline: configuration: {expected}"
    assert "Traceback" not in result.output and "Demo finished" not in result.output


def test_demo_ignores_the_lines_own_groups_and_flows(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo plays its own script on the Heusden configuration in a throw-away database.
    monkeypatch.setenv("QUEUE_CHATS", '{"coordinatie": -100123}')
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "Opgepakt door Sanne" in result.output
    assert not (env / "data").exists()


def test_unreachable_database_is_one_line(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql+asyncpg://helpline:pw@127.0.0.1:{port}/x")
    result = runner.invoke(app, ["staff", "list"])
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"helpline: database 127.0.0.1:{port}/x: ") and "pw" not in line


def test_missing_postgres_database_is_one_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs TEST_DATABASE_URL on PostgreSQL")
    url = database_url.rsplit("/", 1)[0] + "/helpline_no_such_database"
    monkeypatch.setenv("DATABASE_URL", url)
    result = runner.invoke(app, ["staff", "list"])
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert 'database "helpline_no_such_database" does not exist' in line


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    helpline = Path(sys.executable).parent / "helpline"
    return subprocess.run(
        [str(helpline), "run"], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _process_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    for name in ("DATABASE_URL", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR"):
        env.pop(name, None)
    env.update(HELPLINE_DATA_DIR=str(tmp_path / "data"), QUEUE_CHATS='{"coordinatie": -100}')
    env.update(extra)
    return env


def test_run_with_a_refused_token_is_one_line(tmp_path: Path) -> None:
    telegram = FakeTelegram()
    with FakeTelegramServer(telegram) as server:
        env = _process_env(
            tmp_path, TELEGRAM_BOT_TOKEN="999:not-the-token", TELEGRAM_API_BASE_URL=server.base_url
        )
        result = _run(env)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == (
        "helpline: setting TELEGRAM_BOT_TOKEN: the Bot API does not accept this token"
    )
    assert "Traceback" not in result.stderr


def test_run_with_an_unreachable_bot_api_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}/bot"
    env = _process_env(tmp_path, TELEGRAM_BOT_TOKEN="123:abcdef", TELEGRAM_API_BASE_URL=base)
    result = _run(env)
    assert result.returncode == 2, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"helpline: cannot reach the Telegram Bot API at {base}")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("telegram_id", ["0", "-5", str(2**63), "99999999999999999999"])
def test_staff_add_refuses_impossible_telegram_ids(env: Path, telegram_id: str) -> None:
    result = runner.invoke(app, ["staff", "add", "--telegram-id", telegram_id, "--name", "X"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "helpline: --telegram-id must be a Telegram user id (a positive number)"
    )


def test_staff_add_with_a_queue_twice_adds_it_once(env: Path) -> None:
    args = ["staff", "add", "--telegram-id", "7", "--name", "Anna", "--queue", "belmaatjes"]
    result = runner.invoke(app, [*args, "--queue", "belmaatjes"])
    assert result.exit_code == 0 and result.output.strip().endswith("to: belmaatjes.")


def test_an_unexpected_error_is_one_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import helpline.cli as cli

    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "helpline: unexpected error (RuntimeError); please report it "
        "(LOG_LEVEL=DEBUG shows the details)"
    )


def test_run_exempts_the_startup_objects_from_gc_scans(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full collection walked ~150,000 long-lived objects: a pause of ~90 ms."""
    import gc

    import helpline.cli as cli_module

    served: list[int] = []
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abcdef")
    monkeypatch.setenv("QUEUE_CHATS", '{"coordinatie": -100}')
    monkeypatch.setattr(cli_module, "_serve", lambda *a, **k: served.append(gc.get_freeze_count()))
    try:
        result = runner.invoke(app, ["run"])
        assert result.exit_code == 0, result.output
        assert served and served[0] > 10_000, "the built application was not frozen"
    finally:
        gc.unfreeze()
