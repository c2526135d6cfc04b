"""Spreadsheets stay data: a staff name never becomes a formula in an export or the audit
CSV, and a staff name cannot hold a line break or another control character."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from flows.staff_admin import StaffCommandError, parse_staff_command
from helpline.cli import app
from helpline.reporting.cells import safe_cell
from helpline.testing import FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import Contact, Role, Staff
from storage.repository.audit import record_audit
from tests.bot_harness import running_app

Invoke = Callable[..., Awaitable[Result]]
EVIL = '=HYPERLINK("http://x","klik")'
PERIOD = ("--from", "2025-01-01", "--to", "2025-12-31")
QUEUES = {"belmaatjes", "vrijwilligers"}


@pytest.fixture
async def cli(
    db: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Invoke:
    """``helpline`` on a database where a staff member named ``EVIL`` logged 2 contacts."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    async with db.session() as session:
        staff = Staff(telegram_user_id=5, name=EVIL, role=Role.staff)
        session.add(staff)
        await session.flush()
        for month in (1, 2):
            session.add(
                Contact(
                    occurred_at=datetime(2025, month, 10, 12, tzinfo=UTC),
                    channel="phone",
                    direction="inbound",
                    kind="hulpvraag",
                    event="call",
                    category="geldzaken",
                    staff_id=staff.id,
                )
            )

    async def invoke(*args: str) -> Result:
        return await asyncio.to_thread(CliRunner().invoke, app, list(args))

    return invoke


# --- the one helper -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+31 6", "-2", "@SUM(A1)", "\tx", "\r=1"])
def test_risky_text_gets_a_leading_quote(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Anna", "<5", "", " =1", -3, 2.5, None])
def test_other_cells_are_left_alone(value: object) -> None:
    assert safe_cell(value) == value and type(safe_cell(value)) is type(value)


# --- helpline export ------------------------------------------------------------------


async def test_staff_name_in_xlsx_is_text_not_a_formula(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "staff.xlsx"
    result = await cli("export", *PERIOD, "--by", "staff", "--by", "month,staff", "-o", str(out))
    assert result.exit_code == 0, result.output
    workbook = load_workbook(out)
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert [c for c in cells if c.data_type == "f"] == []
    named = [c for c in cells if c.value == EVIL]
    # Shown exactly as typed: once by staff, once per month by month and staff.
    assert [c.parent.title for c in named] == ["Medewerker", *["Maand x Medewerker"] * 2]
    assert all(c.data_type == "s" and c.quotePrefix for c in named)
    counts = [row[1] for row in workbook["Medewerker"].iter_rows(min_row=2, values_only=True)]
    assert counts == [2]  # numbers stay numbers
    with zipfile.ZipFile(out) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml"))
    assert "<f>" not in xml and "HYPERLINK" in xml


async def test_staff_name_in_csv_is_quoted(cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "staff.csv"
    result = await cli("export", *PERIOD, "--by", "staff", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["staff_label"], r["label"], r["count"]) for r in rows] == [
        ("'" + EVIL, "'" + EVIL, "2")
    ]


# --- the audit log --------------------------------------------------------------------


async def test_audit_csv_quotes_a_formula_like_staff_name(cli: Invoke, db: Database) -> None:
    async with db.session() as session:
        await record_audit(
            session=session,
            actor_staff_id=1,
            action="view_details",
            detail="-1 test",
            now=datetime(2026, 4, 1, 10, tzinfo=UTC),
        )
    result = await cli("audit", "--from", "2026-04-01", "--to", "2026-04-01", "--format", "csv")
    assert result.exit_code == 0, result.output
    (row,) = list(csv.DictReader(io.StringIO(result.output)))
    assert (row["staff"], row["detail"], row["staff_id"]) == ("'" + EVIL, "'-1 test", "1")


async def test_audit_file_in_telegram_quotes_a_formula_like_staff_name(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        carla = await h.add_staff(FakeUser(id=5002, first_name="Carla"), role=Role.coordinator)
        await h.add_staff(FakeUser(id=5003, first_name=EVIL), "belmaatjes")
        async with db.session() as session:
            for n in range(35):  # more than one message holds: the CSV file follows
                await record_audit(
                    session=session,
                    actor_staff_id=2,
                    action="view_details",
                    request_id=n,
                    detail=f"n={n}",
                    now=h.clock.now,
                )
        await carla.say("/audit")
        document = h.telegram.last_sent(5002)
        table = list(csv.DictReader(io.StringIO(document["content"].decode())))
        assert len(table) == 35 and {r["staff"] for r in table} == {"'" + EVIL}


# --- staff names ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Anna\nPiet", "Anna\tPiet", "Anna\rPiet", "Anna\u202ePiet"])
async def test_cli_refuses_a_staff_name_with_a_control_character(
    cli: Invoke, db: Database, name: str
) -> None:
    result = await cli("staff", "add", "--telegram-id", "77", "--name", name)
    assert result.exit_code == 2
    assert "--name must be one line" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    async with db.session() as session:
        assert await repo.get_staff(session=session, telegram_user_id=77) is None


def test_parser_refuses_a_control_character_in_the_name() -> None:
    with pytest.raises(StaffCommandError) as typed:
        parse_staff_command(
            ["add", "12", "staff", "belmaatjes", "Anna", "Piet"],
            QUEUES,
            text="add 12 staff belmaatjes Anna\nPiet",
        )
    with pytest.raises(StaffCommandError) as bell:
        parse_staff_command(["add", "12", "staff", "belmaatjes", "Anna\x07"], QUEUES)
    assert typed.value.key == bell.value.key == "staf_bad_name"
    command = parse_staff_command(
        ["add", "12", "staff", "belmaatjes", "Anna", "de", "Vries"],
        QUEUES,
        text="add 12 staff belmaatjes\nAnna de Vries",  # the line break before the name separates
    )
    assert command.name == "Anna de Vries"


async def test_staf_refuses_a_name_with_a_line_break(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        coordinator = await h.add_staff(FakeUser(id=9, first_name="Cor"), role=Role.coordinator)
        await coordinator.say("/staf add 77 volunteer belmaatjes Anna\n88 · Nep · admin")
        assert coordinator.last_text() == (
            "Zet de naam op één regel, zonder tab of onzichtbare tekens."
        )
        async with db.session() as session:
            assert await repo.get_staff(session=session, telegram_user_id=77) is None
        await coordinator.say("/staf add 77 volunteer belmaatjes Anna")
        assert "✓ Anna" in coordinator.last_text()
