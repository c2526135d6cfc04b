"""Files on disk: private modes, output files that never overwrite (the database least of
all) and are written whole, an unreadable ``.env``, and XLSX formulas without a value."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from typer.testing import CliRunner, Result

from helpline.cli import app as cli_app
from helpline.reporting.importfile import ImportFileError, read_table
from helpline.settings import SettingsError, load_settings
from storage.db import Database
from storage.migrate import upgrade
from storage.models import AuditEntry, Resident

Invoke = Callable[..., Awaitable[Result]]
README = Path(__file__).resolve().parent.parent / "README.md"


def mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common default umask (files 0644), so only the code can make files private."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment in ``tmp_path``: no .env, data in ``tmp_path/data``."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


async def invoke(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args))


async def add_resident(db: Database) -> None:
    async with db.session() as session:
        session.add(Resident(first_name="Anna", phone="+31612345678", external_ref="KLANT-1"))


async def audit_details(db: Database, action: str) -> list[str | None]:
    async with db.session() as session:
        rows = await session.scalars(select(AuditEntry).filter_by(action=action))
        return [row.detail for row in rows]


def temporary_files(folder: Path) -> list[str]:
    """What an interrupted atomic write would leave behind."""
    return [name for name in os.listdir(folder) if name.startswith(".helpline-")]


def one_line(result: Result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


# --- Private files ----------------------------------------------------------------------


def helpline(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real ``helpline`` entry point in a process started with umask 022."""
    code = "import os; os.umask(0o022); from helpline.cli import main; main()"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLOWS_DIR")}
    env.update(HELPLINE_DATA_DIR=str(cwd / "data"), TELEGRAM_BOT_TOKEN="")
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_cli_makes_data_directory_database_and_exports_private(tmp_path: Path) -> None:
    done = helpline(tmp_path, "export", "--format", "json", "-o", "report.json")
    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "helpline.db") == 0o600
    assert mode(tmp_path / "report.json") == 0o600

    async def seed() -> None:
        db = Database(f"sqlite:///{tmp_path / 'data' / 'helpline.db'}")
        await add_resident(db)
        await db.dispose()

    asyncio.run(seed())
    done = helpline(tmp_path, "privacy", "export", "--resident", "KLANT-1", "-o", "anna.json")
    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "anna.json") == 0o600


async def test_database_and_wal_are_private_whatever_the_umask(
    tmp_path: Path, loose_umask: None
) -> None:
    path = tmp_path / "new" / "helpline.db"
    db = Database(f"sqlite:///{path}")
    await upgrade(db)
    await add_resident(db)
    # The pooled connection is still open, so the WAL and shared-memory files exist.
    names = {p.name: mode(p) for p in path.parent.iterdir()}
    await db.dispose()
    assert names == {"helpline.db": 0o600, "helpline.db-wal": 0o600, "helpline.db-shm": 0o600}
    assert mode(path.parent) == 0o700


async def test_an_existing_readable_database_is_tightened(
    tmp_path: Path, loose_umask: None
) -> None:
    path = tmp_path / "helpline.db"
    path.touch()
    path.chmod(0o644)
    db = Database(f"sqlite:///{path}")
    await db.dispose()
    assert mode(path) == 0o600


def test_documented_systemd_unit_sets_a_private_umask() -> None:
    unit = README.read_text().split("[Service]", 1)[1].split("[Install]", 1)[0]
    assert "UMask=0077" in unit.splitlines()


# --- Output files: no overwriting, never the database, written whole -------------------

EXPORTS = {
    "export": ("export", "--format", "json", "-o"),
    "privacy export": ("privacy", "export", "--resident", "KLANT-1", "-o"),
}


@pytest.fixture
async def on_db(
    db: Database, database_url: str, environment: Path, monkeypatch: pytest.MonkeyPatch
) -> Database:
    """The commands work on ``db`` (SQLite or PostgreSQL), which holds resident KLANT-1."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    await add_resident(db)
    return db


@pytest.mark.parametrize("command", EXPORTS)
async def test_export_refuses_an_existing_file_without_force(
    on_db: Database, tmp_path: Path, command: str
) -> None:
    target = tmp_path / "kept.json"
    target.write_text("precious")
    result = await invoke(*EXPORTS[command], str(target))
    assert result.exit_code != 0
    assert "exists already; give --force" in one_line(result)
    assert target.read_text() == "precious"
    assert await audit_details(on_db, command.replace(" ", "_")) == []  # nothing was read
    result = await invoke(*EXPORTS[command], str(target), "--force")
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("{") and mode(target) == 0o600


@pytest.mark.parametrize("side", ["", "-wal", "-shm", "-journal", "link"])
@pytest.mark.parametrize("command", EXPORTS)
async def test_export_never_writes_over_the_database(
    environment: Path, command: str, side: str
) -> None:
    """Whatever the leg, these runs use the default SQLite file in the data directory."""
    assert (await invoke("db", "upgrade")).exit_code == 0
    database = environment / "data" / "helpline.db"
    sqlite = Database(f"sqlite:///{database}")
    await add_resident(sqlite)
    await sqlite.dispose()
    before = database.read_bytes()
    if side == "link":
        target = environment / "innocent.json"
        target.symlink_to(database)
    else:
        target = environment / "elsewhere" / ".." / "data" / f"helpline.db{side}"
        (environment / "elsewhere").mkdir()
    for force in ((), ("--force",)):
        result = await invoke(*EXPORTS[command], str(target), *force)
        assert result.exit_code != 0
        assert "is a file of the database itself" in one_line(result)
        assert database.read_bytes() == before


@pytest.mark.parametrize("command", EXPORTS)
async def test_failed_write_leaves_no_file_and_audits_the_failure(
    on_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    kept = tmp_path / "kept.json"
    kept.write_text("precious")
    fresh = tmp_path / "fresh.json"
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", disk_full)
    for target, extra in ((fresh, ()), (kept, ("--force",))):
        result = await invoke(*EXPORTS[command], str(target), *extra)
        assert result.exit_code != 0
        assert one_line(result).endswith(f"cannot write {target}: No space left on device")
    assert not fresh.exists() and kept.read_text() == "precious"
    assert not temporary_files(tmp_path)
    details = await audit_details(on_db, command.replace(" ", "_"))
    assert len(details) == 2 and all("outcome=failed" in (d or "") for d in details)
    monkeypatch.setattr(os, "fsync", real_fsync)
    result = await invoke(*EXPORTS[command], str(fresh))
    assert result.exit_code == 0, result.output
    details = await audit_details(on_db, command.replace(" ", "_"))
    assert "outcome=written" in (details[-1] or "")


# --- Small ones: .env, XLSX formulas ----------------------------------------------------


async def test_env_file_that_is_not_utf8_is_one_line_naming_it(environment: Path) -> None:
    (environment / ".env").write_bytes(b"TIME_ZONE=Europe/Amsterdam\nQUEUE_CHATS=\xff\xfe\n")
    with pytest.raises(SettingsError, match=r"^file \.env: not UTF-8 text"):
        load_settings()
    result = await invoke("staff", "list")
    assert result.exit_code == 2
    assert one_line(result).startswith("helpline: file .env: not UTF-8 text")


def workbook_with_formula(path: Path, saved: str | None) -> Path:
    """A sheet whose resident cell is a formula: as a program writes it (no saved value),
    or as Excel saves it (with its result)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Blad1"
    sheet.append(["occurred_at", "channel", "resident"])
    sheet.append(["2026-01-05", "phone", '="KLANT-"&1'])
    book.save(path)
    if saved is not None:
        with zipfile.ZipFile(path) as source:
            parts = {name: source.read(name) for name in source.namelist()}
        name = "xl/worksheets/sheet1.xml"
        parts[name] = (
            parts[name]
            .replace(b'<c r="C2"><f>', b'<c r="C2" t="str"><f>')
            .replace(b"<v />", f"<v>{saved}</v>".encode())
        )
        with zipfile.ZipFile(path, "w") as target:
            for part, data in parts.items():
                target.writestr(part, data)
    return path


def test_xlsx_formula_without_saved_value_is_refused(tmp_path: Path) -> None:
    path = workbook_with_formula(tmp_path / "contacts.xlsx", saved=None)
    with pytest.raises(ImportFileError, match=r"sheet 'Blad1', cell C2: a formula without"):
        read_table(path)


def test_xlsx_formula_with_saved_value_imports_that_value(tmp_path: Path) -> None:
    table = read_table(workbook_with_formula(tmp_path / "contacts.xlsx", saved="KLANT-1"))
    assert list(table.rows) == [(2, ["2026-01-05", "phone", "KLANT-1"])]
