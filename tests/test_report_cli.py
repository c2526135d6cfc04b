"""``helpline export`` end to end: options, files, and one clear line for every mistake."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from helpline.cli import app
from storage.db import Database
from storage.models import Contact

Invoke = Callable[..., Awaitable[Result]]
PERIOD = ("--from", "2025-01-01", "--to", "2025-12-31")


@pytest.fixture
async def cli(
    db: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Invoke:
    """``helpline`` on a database holding 5 contacts in 2025 (3 geldzaken, 2 vervoer)."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    async with db.session() as session:
        for month, category in [(1, "geldzaken"), (1, "geldzaken"), (2, "geldzaken"),
                                (2, "vervoer"), (12, "vervoer")]:  # fmt: skip
            session.add(
                Contact(
                    occurred_at=datetime(2025, month, 10, 12, tzinfo=UTC),
                    channel="phone",
                    direction="inbound",
                    kind="hulpvraag",
                    event="call",
                    category=category,
                )
            )

    async def invoke(*args: str) -> Result:
        return await asyncio.to_thread(CliRunner().invoke, app, list(args))

    return invoke


async def test_json_to_stdout(cli: Invoke) -> None:
    result = await cli("export", *PERIOD, "--by", "category", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["from"], data["to"], data["by"], data["total"]) == (
        "2025-01-01", "2025-12-31", ["category"], 5
    )  # fmt: skip
    assert [(r["category"], r["label"], r["count"], r["percent"]) for r in data["rows"]] == [
        ("geldzaken", "Geldzaken", 3, 60),
        ("vervoer", "Vervoer", 2, 40),
    ]


async def test_every_format_to_a_file(cli: Invoke, tmp_path: Path) -> None:
    for suffix in ("json", "csv", "xlsx", "png"):
        out = tmp_path / f"report.{suffix}"
        result = await cli("export", *PERIOD, "--by", "month,category", "-o", str(out))
        assert result.exit_code == 0, result.output
        assert f"Wrote {out} ({suffix})" in result.output
    data = json.loads((tmp_path / "report.json").read_text())
    assert [r["label"] for r in data["rows"]][:2] == [
        "januari 2025 – Geldzaken", "februari 2025 – Vervoer"
    ]  # fmt: skip
    lines = list(csv.DictReader(io.StringIO((tmp_path / "report.csv").read_text())))
    assert [int(r["count"]) for r in lines] == [r["count"] for r in data["rows"]]
    sheet = load_workbook(tmp_path / "report.xlsx")["Maand x Onderwerp"]
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        r["count"] for r in data["rows"]
    ]
    assert (tmp_path / "report.png").read_bytes().startswith(b"\x89PNG")


async def test_min_cell_through_the_command(cli: Invoke) -> None:
    result = await cli("export", *PERIOD, "--by", "category", "--min-cell", "3")
    rows = json.loads(result.stdout)["rows"]
    assert [(r["count"], r["percent"]) for r in rows] == [(3, 60), ("<3", None)]


async def test_metric_grade_through_the_command(cli: Invoke) -> None:
    result = await cli("export", *PERIOD, "--metric", "grade", "--by", "category")
    data = json.loads(result.stdout)
    assert (data["metric"], data["total"], data["average"], data["rows"]) == ("grade", 0, None, [])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--by", "kleur"), "unknown dimension 'kleur'"),
        (("--from", "2025-02-30"), "'2025-02-30' is not a date like 2026-03-31"),
        (("--from", "2025-06-01", "--to", "2025-01-01"), "starts (2025-06-01) after it ends"),
        (("--format", "xlsx"), "--format xlsx writes a binary file; give -o FILE"),
        (("--by", "category", "--by", "village", "--format", "csv"), "CSV holds one breakdown"),
        (("--min-cell", "0"), "--min-cell must be 1 or more"),
        (("-o", "report.txt"), "cannot tell the format from 'report.txt'"),
        (("-o", "/nonexistent/dir/r.json"), "cannot write /nonexistent/dir/r.json"),
        (("--metric", "grade", "--by", "direction"), "unknown dimension 'direction'"),
    ],
)
async def test_mistakes_are_one_clear_line(
    cli: Invoke, args: tuple[str, ...], message: str
) -> None:
    result = await cli("export", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
