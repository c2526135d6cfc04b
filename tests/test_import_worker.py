"""Import: the second process that checks a large file gives what checking here gives,
and whatever happens to it ends as one clear error, never a hung or orphaned process."""

from __future__ import annotations

import asyncio
import fcntl
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from flows.config import load_config
from helpline.cli import app
from helpline.commands import importer
from helpline.reporting import importworker
from helpline.reporting.importfile import read_table
from helpline.reporting.importrows import RowError, check_stream
from helpline.reporting.importworker import (
    CheckingProcess,
    FileToCheck,
    ImportWorkerError,
    checked_batches,
)
from storage.db import Database

HEADER = "occurred_at,channel,direction,kind,category,village,location,resident,outcome"
ZONE = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SECRET = b"s" * 32


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def job(path: Path, max_errors: int = 100) -> FileToCheck:
    return FileToCheck(path, None, load_config(), ZONE, NOW, max_errors)


def here(path: Path, mode: importworker.TimeMode, max_errors: int = 100) -> list[Any]:
    rows = check_stream(read_table(path), config=load_config(), zone=ZONE, now=NOW, secret=SECRET)
    return list(checked_batches(rows, mode, max_errors=max_errors, size=7))


def many_rows(count: int) -> list[str]:
    return [
        f"2025-{1 + n % 12:02d}-{1 + n % 28:02d} {n % 24:02d}:{n % 60:02d},phone,,,"
        f"{('overig', 'geldzaken', '')[n % 3]},Drunen,,{f'R{n % 40}' if n % 5 else ''},"
        for n in range(count)
    ]


@pytest.mark.parametrize("mode", ["micros", "text", "datetime"])
def test_the_second_process_makes_the_batches_made_here(
    tmp_path: Path, mode: importworker.TimeMode
) -> None:
    path = write(tmp_path, *many_rows(60), "2024-06-01 10:00,phone,,,,,,R3,")
    with CheckingProcess(job(path), SECRET) as checking:
        found = list(checking.batches(mode))

    def joined(batches: list[Any]) -> tuple[list[Any], ...]:
        staged = [b.staged for b in batches]
        return tuple(
            [item for part in staged for item in getattr(part, name)]
            for name in ("rows", "values", "refs")
        )

    expected = here(path, mode)  # in batches of 7 rows: the numbering runs across them
    assert joined(found) == joined(expected)
    assert found[-1].staged.earliest == expected[-1].staged.earliest  # type: ignore[attr-defined]
    assert len(found[-1].staged.earliest) == 32 and sum(b.read for b in found) == 61


def test_wrong_rows_are_listed_up_to_the_limit_and_nothing_is_staged_after_the_first(
    tmp_path: Path,
) -> None:
    good = "2025-01-01 10:00,phone,,,,,,R1,"
    path = write(tmp_path, good, "2025-13-01,phone", good, "x,phone", "y,fax", good)
    batches = here(path, "micros", max_errors=2)
    staged = [row for b in batches for row in b.staged.rows]  # type: ignore[attr-defined]
    errors = [e for b in batches for e in b.errors]  # type: ignore[attr-defined]
    assert len(staged) == 1  # the good row before the first wrong one only
    assert sum(b.wrong for b in batches) == 3  # type: ignore[attr-defined]
    assert [e.row for e in errors] == [3, 5] and all(isinstance(e, RowError) for e in errors)
    with CheckingProcess(job(path, max_errors=2), SECRET) as checking:
        apart = list(checking.batches("micros"))
    assert [e.row for b in apart for e in b.errors] == [3, 5]


def test_an_unreadable_file_is_the_same_error_from_the_second_process(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("when,channel\n2025-01-01,phone\n", encoding="utf-8")
    with (
        CheckingProcess(job(path), SECRET) as checking,
        pytest.raises(importworker.ImportFileError, match="unknown column 'when'"),
    ):
        list(checking.batches("micros"))


def test_a_vanished_second_process_is_one_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, *many_rows(10))
    with CheckingProcess(job(path), SECRET) as checking:
        checking.child.kill()
        with pytest.raises(ImportWorkerError, match="stopped"):
            list(checking.batches("micros"))


def test_stopping_early_stops_the_second_process(tmp_path: Path) -> None:
    # A failure on the database side leaves the process waiting on a full pipe.
    path = write(tmp_path, *many_rows(30_000))
    with CheckingProcess(job(path), SECRET) as checking:
        next(iter(checking.batches("micros")))
    assert checking.child.returncode is not None


async def test_the_command_says_so_in_one_line_when_the_process_cannot_start(
    db: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "CHECK_APART_FROM_BYTES", 0)
    monkeypatch.setattr(importworker.sys, "executable", "/bin/false")
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    path = write(tmp_path, *many_rows(5))
    result = await asyncio.to_thread(CliRunner().invoke, app, ["import", "contacts", str(path)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "helpline: contacts.csv: the process checking the file stopped"
    )


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are a Linux feature")
def test_the_pipe_from_the_second_process_holds_several_batches(tmp_path: Path) -> None:
    # With the default 64 kB the process checking the file waits for every batch
    # (about 190 kB pickled) to be taken before it can check the next one.
    path = write(tmp_path, *many_rows(10))
    with CheckingProcess(job(path), SECRET) as checking:
        assert checking.child.stdout is not None
        size = fcntl.fcntl(checking.child.stdout.fileno(), fcntl.F_GETPIPE_SZ)
        list(checking.batches("micros"))
    assert size >= min(importworker.PIPE_BYTES, int(Path("/proc/sys/fs/pipe-max-size").read_text()))
