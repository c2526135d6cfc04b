"""Import: every row checked first, all or nothing, idempotent, clear one-line failures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import Result

from flows.config import load_config
from helpline.reporting.importfile import read_table
from helpline.reporting.importrows import check_rows
from storage.db import Database
from storage.models import Contact, Resident
from storage.repository.contact_import import import_contacts

HEADER = "occurred_at,channel,direction,kind,category,village,location,resident,outcome"
GOOD = "2025-05-01 10:00,phone,inbound,hulpvraag,geldzaken,Drunen,,R1,doorverwezen"
Invoke = Callable[..., Awaitable[Result]]


def write(tmp_path: Path, name: str, *lines: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


async def contact_count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Contact)) or 0)


async def test_import_then_reimport_adds_nothing(
    import_cli: Invoke, db: Database, tmp_path: Path
) -> None:
    same = "2025-05-02,walk_in,,,,,wijkwinkel vlijmen,R2,"
    path = write(tmp_path, "contacts.csv", HEADER, GOOD, same, same, "2025-05-03 09:15,email")
    first = await import_cli("import", "contacts", str(path))
    assert first.exit_code == 0, first.output
    assert "imported 4 contacts" in first.output and "2 new residents" in first.output
    assert await contact_count(db) == 4  # the identical rows are two contacts
    again = await import_cli("import", "contacts", str(path))
    assert (
        again.exit_code == 0 and "imported 0 contacts (4 already imported before)" in again.output
    )
    assert await contact_count(db) == 4
    longer = write(tmp_path, "longer.csv", HEADER, GOOD, same, same, same)
    assert "imported 1 contact " in (await import_cli("import", "contacts", str(longer))).output
    exported = await import_cli(
        "export", "--from", "2025-05-01", "--to", "2025-05-31", "--by", "channel"
    )
    assert '"total": 5' in exported.output and '"residents": 2' in exported.output


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("2025-02-30,phone", "bad date '2025-02-30'"),
        ("2025/01/30,phone", "bad date '2025/01/30': use YYYY-MM-DD or D-M-YYYY"),
        ("12-30-2025,phone", "bad date '12-30-2025': month must be in 1..12"),
        ("2025-01-01 25:00,phone", "bad date"),
        ("2999-01-01,phone", "date '2999-01-01' is in the future"),
        ("1999-12-31 23:59,phone", "date '1999-12-31 23:59' is before 2000"),
        (",phone", "occurred_at is empty"),
        ("2025-01-01,", "channel is empty"),
        ("2025-01-01,fax", "unknown channel 'fax'"),
        ("2025-01-01,phone,sideways", "unknown direction 'sideways'"),
        ("2025-01-01,phone,,klacht", "unknown kind 'klacht'"),
        ("2025-01-01,phone,,,geldzaak", "unknown category 'geldzaak' (did you mean 'geldzaken'?)"),
        ("2025-01-01,phone,,,,Amsterdam", "unknown village 'Amsterdam'"),
        ("2025-01-01,phone,,,,,Bibliotheek", "unknown location 'Bibliotheek'"),
        ("2025-01-01,phone,,,,,,R1,gelukt", "unknown outcome 'gelukt'"),
        ("2025-01-01,phone,,,,,," + "x" * 121, "resident reference longer than 120"),
        ("2025-01-01,phone,,,,,,,,extra", "more cells than there are columns"),
    ],
)
async def test_a_bad_row_rejects_the_whole_file(
    import_cli: Invoke, db: Database, tmp_path: Path, row: str, reason: str
) -> None:
    path = write(tmp_path, "bad.csv", HEADER, GOOD, row, GOOD)
    result = await import_cli("import", "contacts", str(path))
    assert result.exit_code == 1
    assert "1 of 3 rows are wrong; nothing was imported" in result.output
    assert f"row 3: {reason}" in result.output
    assert "Traceback" not in result.output
    assert await contact_count(db) == 0


async def test_every_bad_row_is_listed(import_cli: Invoke, db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", HEADER, "2025-13-01,phone", GOOD, "2025-01-01,fax,,,x")
    result = await import_cli("import", "contacts", str(path))
    assert result.exit_code == 1
    assert "row 2: bad date" in result.output
    assert "row 4: unknown channel 'fax'; unknown category 'x'" in result.output


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "the file is empty"),
        (b"\x00\x01\x02\xff\xfe" * 100, "junk.csv", "binary file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", "old Excel .xls"),
        (b"PK\x03\x04 not really a zip", "fake.xlsx", "not a valid XLSX file"),
        (b"%PDF-1.4 pretending\n", "fake.xlsx", "not a valid XLSX file"),
        (b"occurred_at,channel\n", "header.csv", "header row but no data rows"),
        (b"when,channel\n2025-01-01,phone\n", "h.csv", "unknown column 'when'"),
        (b"channel,category\nphone,overig\n", "h.csv", "missing required column 'occurred_at'"),
        (b"occurred_at,channel,channel\n", "h.csv", "column 'channel' appears twice"),
        (b"\n\n\n", "blank.csv", "no header row"),
    ],
)
async def test_malformed_file_is_one_clear_line(
    import_cli: Invoke, db: Database, tmp_path: Path, content: bytes, name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = await import_cli("import", "contacts", str(path))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert await contact_count(db) == 0


async def test_unclosed_quote_is_a_bad_row_not_a_crash(
    import_cli: Invoke, db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, "quote.csv", "occurred_at,channel", '"2025-01-01,phone')
    result = await import_cli("import", "contacts", str(path))
    assert result.exit_code == 1 and "row 2: bad date" in result.output
    assert "Traceback" not in result.output


async def test_missing_file_is_one_clear_line(import_cli: Invoke, tmp_path: Path) -> None:
    result = await import_cli("import", "contacts", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2 and result.output.strip() == "helpline: nope.csv: no such file"


async def test_dry_run_imports_nothing(import_cli: Invoke, db: Database, tmp_path: Path) -> None:
    result = await import_cli(
        "import", "contacts", "--dry-run", str(write(tmp_path, "a.csv", HEADER, GOOD))
    )
    assert result.exit_code == 0 and "all 1 rows are correct" in result.output
    assert await contact_count(db) == 0


async def test_xlsx_with_date_cells_and_names(
    import_cli: Invoke, db: Database, tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Occurred At", "Channel", "Category", "Village", "Location", "Resident"])
    sheet.append([datetime(2025, 3, 30, 1, 30), "PHONE", "Geldzaken", "HEUSDEN", None, 1234])
    sheet.append([datetime(2025, 3, 31).date(), "walk_in", None, None, "Wijkwinkel Drunen", 1234.0])
    sheet.append([None, None, None])  # trailing empty row
    workbook.save(tmp_path / "contacts.xlsx")
    result = await import_cli("import", "contacts", str(tmp_path / "contacts.xlsx"))
    assert result.exit_code == 0, result.output
    assert "imported 2 contacts" in result.output and "1 new resident." in result.output
    async with db.session() as session:
        rows = (await session.scalars(select(Contact).order_by(Contact.occurred_at))).all()
        ref = await session.scalar(select(Resident.external_ref))
    assert ref == "1234"
    assert [(c.occurred_at, c.channel, c.category, c.village, c.location) for c in rows] == [
        (datetime(2025, 3, 30, 0, 30, tzinfo=UTC), "phone", "geldzaken", "heusden", None),
        (datetime(2025, 3, 30, 22, 0, tzinfo=UTC), "walk_in", None, None, "wijkwinkel_drunen"),
    ]
    assert [c.new_or_known for c in rows] == ["nieuw", "bekend"]
    assert rows[0].queue == "wijkteam_heusden" and rows[0].event == "import"


async def test_dutch_excel_csv_semicolons_cp1252(
    import_cli: Invoke, db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "excel.csv",
        "occurred_at;channel;category;resident",
        "2025-06-01 14:00;phone;overig;José Müller",
        encoding="cp1252",
    )
    result = await import_cli("import", "contacts", str(path))
    assert result.exit_code == 0, result.output
    async with db.session() as session:
        assert await session.scalar(select(Resident.external_ref)) == "José Müller"


async def test_new_or_known_counts_earlier_contacts(db: Database, tmp_path: Path) -> None:
    config, zone = load_config(), ZoneInfo("Europe/Amsterdam")
    now = datetime(2026, 1, 1, tzinfo=UTC)

    async def load(*rows: str) -> list[str | None]:
        table = read_table(write(tmp_path, "f.csv", "occurred_at,channel,resident", *rows))
        contacts, errors = check_rows(table, config=config, zone=zone, now=now)
        assert errors == []
        async with db.session() as session:
            await import_contacts(session=session, contacts=contacts, now=now)
        async with db.session() as session:
            stored = await session.scalars(
                select(Contact.new_or_known)
                .where(
                    Contact.import_key.in_([c.import_key for c in contacts])  # type: ignore[union-attr]
                )
                .order_by(Contact.occurred_at)
            )
            return list(stored)

    assert await load("2025-02-01,phone,A", "2025-01-01,phone,A", "2025-03-01,phone,B") == [
        "nieuw", "bekend", "nieuw"
    ]  # fmt: skip
    # A later file: A is known from the first file, C is new, and so is B's no-resident row.
    assert await load("2025-04-01,phone,A", "2025-04-02,phone,C", "2025-04-03,phone,") == [
        "bekend", "nieuw", None
    ]  # fmt: skip


def test_check_rows_reports_progress(tmp_path: Path) -> None:
    rows = [f"2025-01-{1 + n % 28:02d},phone" for n in range(2500)]
    table = read_table(write(tmp_path, "big.csv", "occurred_at,channel", *rows))
    seen: list[int] = []
    contacts, errors = check_rows(
        table,
        config=load_config(),
        zone=ZoneInfo("Europe/Amsterdam"),
        now=datetime(2026, 1, 1, tzinfo=UTC),
        progress=seen.append,
    )
    assert sum(seen) == 2500 and len(contacts) == 2500 and not errors
    assert len({c.import_key for c in contacts}) == 2500  # repeats get their own key


@pytest.mark.parametrize(
    ("written", "local"),
    [
        ("30-01-2025", datetime(2025, 1, 30)),
        ("1-2-2025 14:30", datetime(2025, 2, 1, 14, 30)),
        ("01/02/2025", datetime(2025, 2, 1)),
        ("1.2.2025 9:05", datetime(2025, 2, 1, 9, 5)),
    ],
)
def test_dutch_day_first_dates_as_excel_writes_them(
    tmp_path: Path, written: str, local: datetime
) -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    table = read_table(write(tmp_path, "nl.csv", "occurred_at,channel", f"{written},phone"))
    contacts, errors = check_rows(table, config=load_config(), zone=zone, now=datetime.now(UTC))
    assert errors == []
    assert contacts[0].occurred_at == local.replace(tzinfo=zone).astimezone(UTC)
