"""Import: keyed import keys (an erased reference cannot be recovered), large files."""

from __future__ import annotations

import os
import stat
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from typer.testing import Result

from flows.config import load_config
from helpline.reporting.importfile import read_table
from helpline.reporting.importrows import check_rows, check_stream
from storage.db import Database
from storage.models import Contact, JobRun, Resident
from storage.repository.contact_import import ImportedContact, import_contacts

HEADER = "occurred_at,channel,direction,kind,category,village,location,resident,outcome"
ZONE = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 1, 1, tzinfo=UTC)
Invoke = Callable[..., Awaitable[Result]]


def write(tmp_path: Path, name: str, *lines: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def bare_keys(path: Path) -> list[str]:
    """The keys the rows of ``path`` get without a secret: what an attacker can compute."""
    contacts, errors = check_rows(read_table(path), config=load_config(), zone=ZONE, now=NOW)
    assert errors == []
    return [c.import_key for c in contacts]


async def stored_keys(db: Database) -> list[str]:
    async with db.session() as session:
        keys = await session.scalars(select(Contact.import_key).order_by(Contact.id))
        return [key for key in keys if key is not None]


async def count(db: Database, model: type[Contact] | type[Resident]) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_erased_residents_key_cannot_be_matched_without_the_secret(
    import_cli: Invoke, db: Database, tmp_path: Path
) -> None:
    row = "2025-05-01 10:00,phone,inbound,hulpvraag,geldzaken,Drunen,,{},doorverwezen"
    path = write(tmp_path, "contacts.csv", HEADER, row.format("Jansen"))
    assert (await import_cli("import", "contacts", str(path))).exit_code == 0
    erased = await import_cli("privacy", "erase", "--resident", "Jansen", "--yes")
    assert erased.exit_code == 0, erased.output
    [stored] = await stored_keys(db)
    # The dictionary attack: hash the row with every candidate name, compare.
    guesses = [row.format(name) for name in ("Bakker", "Jansen", "de Vries")]
    candidates = write(tmp_path, "guesses.csv", HEADER, *guesses)
    assert stored not in bare_keys(candidates)
    # With the secret, kept outside the database, the same row does give the stored key.
    secret_file = tmp_path / "data" / "import.key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    keyed, _ = check_rows(
        read_table(candidates),
        config=load_config(),
        zone=ZONE,
        now=NOW,
        secret=secret_file.read_bytes().strip(),
    )
    assert [c.import_key == stored for c in keyed] == [False, True, False]


async def test_keys_stored_before_the_secret_are_rekeyed_and_stay_idempotent(
    import_cli: Invoke, db: Database, tmp_path: Path
) -> None:
    same = "2025-05-02,walk_in,,,,,wijkwinkel vlijmen,R2,"
    path = write(tmp_path, "contacts.csv", HEADER, same, same, "2025-05-03 09:15,email,,,,,,R3,")
    # An installation from before the secret: bare row digests are stored.
    contacts, _ = check_rows(read_table(path), config=load_config(), zone=ZONE, now=NOW)
    async with db.session() as session:
        await import_contacts(session=session, contacts=contacts, now=NOW)
    assert await stored_keys(db) == bare_keys(path)
    first = await import_cli("import", "contacts", str(path))
    assert first.exit_code == 0, first.output
    assert "imported 0 contacts (3 already imported before)" in first.output
    rekeyed = await stored_keys(db)
    assert len(rekeyed) == 3 and not set(rekeyed) & set(bare_keys(path))
    async with db.session() as session:
        marks = list(await session.scalars(select(JobRun.name)))
    assert len([m for m in marks if m.startswith("import_key:")]) == 1
    longer = write(tmp_path, "longer.csv", HEADER, same, same, same)
    again = await import_cli("import", "contacts", str(longer))
    assert "imported 1 contact (2 already imported before)" in again.output, again.output
    assert await count(db, Contact) == 4
    assert (await stored_keys(db))[:3] == rekeyed  # re-keyed once, not again


async def test_another_secret_is_refused_and_nothing_changes(
    import_cli: Invoke, db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, "contacts.csv", HEADER, "2025-05-02,phone,,,,,,R2,")
    assert (await import_cli("import", "contacts", str(path))).exit_code == 0
    before = await stored_keys(db)
    secret_file = tmp_path / "data" / "import.key"
    secret_file.unlink()  # lost: a new one is made, refused, and removed again
    lost = await import_cli("import", "contacts", str(path))
    assert lost.exit_code == 2 and "is not the secret earlier imports used" in lost.output
    assert len(lost.output.strip().splitlines()) == 1
    assert not secret_file.exists()
    secret_file.write_text("f" * 64 + "\n")
    secret_file.chmod(0o600)
    replaced = await import_cli("import", "contacts", str(path))
    assert replaced.exit_code == 2 and "restore it from your backup" in replaced.output
    assert await stored_keys(db) == before
    secret_file.chmod(0o644)
    shared = await import_cli("import", "contacts", str(path))
    assert shared.exit_code == 2 and "may be read by others" in shared.output


async def test_file_over_the_limit_is_one_line(
    import_cli: Invoke, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPORT_MAX_MB", "1")
    rows = [f"2025-01-{1 + n % 28:02d} 10:00,phone,,,,,,R{n}," for n in range(40_000)]
    path = write(tmp_path, "big.csv", HEADER, *rows)
    assert path.stat().st_size > 1_000_000
    result = await import_cli("import", "contacts", str(path))
    assert result.exit_code == 2
    assert "more than the 1.0 MB an import may be (setting IMPORT_MAX_MB)" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert await count(db, Contact) == 0


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
async def test_endless_device_is_refused_at_once(import_cli: Invoke, db: Database) -> None:
    started = time.monotonic()
    result = await import_cli("import", "contacts", "/dev/zero")
    assert time.monotonic() - started < 10
    assert result.exit_code == 2
    assert result.output.strip() == (
        "helpline: zero: not a regular file (a device or a pipe); save it as a file"
    )


async def test_bad_row_after_stored_batches_stores_nothing(
    import_cli: Invoke, db: Database, tmp_path: Path
) -> None:
    rows = [f"2025-01-{1 + n % 28:02d} 10:00,phone,,,,,,R{n % 3000}," for n in range(4500)]
    rows[4400] = "2025-01-01,fax"  # row 4402: after two batches were written
    path = write(tmp_path, "late.csv", HEADER, *rows)
    result = await import_cli("import", "contacts", str(path))
    assert result.exit_code == 1
    assert "1 of 4500 rows are wrong; nothing was imported" in result.output
    assert "row 4402: unknown channel 'fax'" in result.output
    assert await count(db, Contact) == 0 and await count(db, Resident) == 0


async def test_damaged_csv_late_in_the_file_is_one_line_and_stores_nothing(
    import_cli: Invoke, db: Database, tmp_path: Path
) -> None:
    rows = [f"2025-01-{1 + n % 28:02d} 10:00,phone,,,,,,R{n}," for n in range(4500)]
    rows.append("2025-01-02,phone,,,,,,R," + "x" * 200_000)  # beyond csv's field limit
    path = write(tmp_path, "damaged.csv", HEADER, *rows)
    result = await import_cli("import", "contacts", str(path))
    assert result.exit_code == 2 and "not a valid CSV file" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert await count(db, Contact) == 0


async def test_windows_1252_found_late_in_a_large_file(
    import_cli: Invoke, db: Database, tmp_path: Path
) -> None:
    rows = [f"2025-01-{1 + n % 28:02d} 10:00,phone,,,,,,R{n}," for n in range(40_000)]
    rows.append("2025-01-02,phone,,,,,,José Müller,")
    path = write(tmp_path, "excel.csv", HEADER, *rows, encoding="cp1252")
    assert path.stat().st_size > 1 << 20  # past the first chunk read
    result = await import_cli("import", "contacts", str(path))
    assert result.exit_code == 0, result.output
    async with db.session() as session:
        found = await session.scalar(
            select(func.count()).where(Resident.external_ref == "José Müller")
        )
    assert found == 1


async def test_earlier_contact_later_in_the_file_becomes_the_new_one(
    db: Database, tmp_path: Path
) -> None:
    filler = [f"2025-03-{1 + n % 28:02d},phone,,,,,,F{n}," for n in range(4500)]
    path = write(
        tmp_path,
        "unordered.csv",
        HEADER,
        "2025-06-01,phone,,,,,,A,",
        *filler,  # the first row is stored in an earlier batch than the next ones
        "2025-02-01,phone,,,,,,A,",
        "2025-02-01,email,,,,,,A,",
    )
    async with db.session() as session:
        stream = check_stream(read_table(path), config=load_config(), zone=ZONE, now=NOW)
        await import_contacts(
            session=session, contacts=(c for c in stream if isinstance(c, ImportedContact)), now=NOW
        )
        rows = (
            await session.execute(
                select(Contact.channel, Contact.new_or_known)
                .join(Resident, Resident.id == Contact.resident_id)  # type: ignore[arg-type]
                .where(Resident.external_ref == "A")
                .order_by(Contact.occurred_at, Contact.id)  # type: ignore[arg-type]
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("phone", "nieuw"),
        ("email", "bekend"),
        ("phone", "bekend"),
    ]


async def test_memory_does_not_grow_with_the_file(db: Database, tmp_path: Path) -> None:
    rows = [
        f"2025-{1 + n % 12:02d}-{1 + n % 28:02d} {n % 24:02d}:{n % 60:02d},phone,,,overig,"
        f"Drunen,,R{n % 500},"
        for n in range(30_000)
    ]
    path = write(tmp_path, "many.csv", HEADER, *rows)
    tracemalloc.start()
    try:
        async with db.session() as session:
            stream = check_stream(
                read_table(path), config=load_config(), zone=ZONE, now=NOW, secret=b"s" * 32
            )
            result = await import_contacts(
                session=session,
                contacts=(c for c in stream if isinstance(c, ImportedContact)),
                now=NOW,
            )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.added == 30_000
    # Reading all 30,000 rows first took about 40 MB; a batch of 2,000 is a few MB.
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.1f} MB"


async def test_contact_has_no_index_that_repeats_the_start_of_another(db: Database) -> None:
    def indexes(connection: Any) -> list[tuple[str, ...]]:
        return [tuple(i["column_names"]) for i in inspect(connection).get_indexes("contact")]

    async with db.engine.connect() as connection:
        found = await connection.run_sync(indexes)
    assert ("occurred_at", "category") in found and ("resident_id", "occurred_at") in found
    # Each costs every stored contact (a large import) a B-tree insert, for nothing.
    redundant = [a for a in found for b in found if a != b and b[: len(a)] == a]
    assert redundant == []


async def test_rows_are_stored_in_time_order_keeping_file_order_within_a_moment(
    db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "unordered.csv",
        HEADER,
        "2025-06-01 10:00,phone,,,,,,A,",
        "2025-02-01 09:00,walk_in,,,,,,B,",
        "2025-02-01 09:00,email,,,,,,B,",
        "2025-04-01 08:00,phone,,,,,,,",
    )
    async with db.session() as session:
        stream = check_stream(read_table(path), config=load_config(), zone=ZONE, now=NOW)
        result = await import_contacts(
            session=session, contacts=(c for c in stream if isinstance(c, ImportedContact)), now=NOW
        )
    assert result.added == 4
    async with db.session() as session:
        rows = (
            await session.execute(
                select(Contact.channel, Contact.new_or_known).order_by(Contact.id)  # type: ignore[arg-type]
            )
        ).all()
    # Stored by time (the time indexes grow at their end), file order within a moment.
    assert [tuple(r) for r in rows] == [
        ("walk_in", "nieuw"),
        ("email", "bekend"),
        ("phone", None),
        ("phone", "nieuw"),
    ]


async def test_failed_import_leaves_no_staged_rows_for_the_next(
    db: Database, tmp_path: Path
) -> None:
    good = write(tmp_path, "good.csv", HEADER, "2025-02-01 09:00,phone,,,,,,A,")
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            stream = check_stream(read_table(good), config=load_config(), zone=ZONE, now=NOW)
            contacts = [c for c in stream if isinstance(c, ImportedContact)]

            def failing() -> Iterator[ImportedContact]:
                yield from contacts
                raise RuntimeError("the file broke off")

            await import_contacts(session=session, contacts=failing(), now=NOW)
    assert await count(db, Contact) == 0
    async with db.session() as session:
        stream = check_stream(read_table(good), config=load_config(), zone=ZONE, now=NOW)
        result = await import_contacts(
            session=session, contacts=(c for c in stream if isinstance(c, ImportedContact)), now=NOW
        )
    assert result.added == 1 and await count(db, Contact) == 1


async def key_index(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The indexes and the unique constraints on ``contact.import_key`` (PostgreSQL's
    index behind a constraint counts as the constraint)."""

    def found(connection: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        inspector = inspect(connection)
        return (
            [
                i
                for i in inspector.get_indexes("contact")
                if i["column_names"] == ["import_key"] and "duplicates_constraint" not in i
            ],
            [
                u
                for u in inspector.get_unique_constraints("contact")
                if u["column_names"] == ["import_key"]
            ],
        )

    async with db.engine.connect() as connection:
        return await connection.run_sync(found)


async def test_import_key_is_unique_by_a_named_index_a_large_import_can_rebuild(
    db: Database,
) -> None:
    indexes, constraints = await key_index(db)
    assert [(i["name"], bool(i["unique"])) for i in indexes] == [("ix_contact_import_key", True)]
    assert constraints == []


async def migrate_down(db: Database, revision: str) -> None:
    """Alembic's downgrade on ``db``, in one transaction (as ``storage.migrate.upgrade``)."""
    from alembic import command

    from storage.migrate import alembic_config

    config = alembic_config(db.url)

    def down(connection: Any) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with db.engine.begin() as connection:
        await connection.run_sync(down)


async def test_key_index_migration_goes_down_to_the_constraint_and_up_again(
    db: Database,
) -> None:
    from storage.migrate import upgrade

    stored = Contact(channel="phone", direction="inbound", kind="hulpvraag", event="import")
    async with db.session() as session:
        session.add(Contact.model_validate(stored, update={"import_key": "k"}))
    try:
        await migrate_down(db, "0008_contact_indexes")
        indexes, constraints = await key_index(db)
        assert indexes == [] and len(constraints) == 1
        with pytest.raises(IntegrityError):  # still unique, by the constraint again
            async with db.session() as session:
                session.add(Contact.model_validate(stored, update={"import_key": "k"}))
    finally:
        await upgrade(db)
    indexes, constraints = await key_index(db)
    assert [(i["name"], bool(i["unique"])) for i in indexes] == [("ix_contact_import_key", True)]
    assert constraints == [] and await stored_keys(db) == ["k"]


@pytest.fixture
def rebuild_always(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every import counts as large (the key index is rebuilt on SQLite); the statements
    that drop or create an index are recorded."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from storage.repository import import_staging

    monkeypatch.setattr(import_staging, "_REBUILD_FROM_ROWS", 1)
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "INDEX" in statement.upper():
            seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


async def test_failure_after_the_key_index_was_dropped_changes_nothing(
    db: Database, tmp_path: Path, rebuild_always: list[str]
) -> None:
    first = write(tmp_path, "a.csv", HEADER, "2025-02-01 09:00,phone,,,,,,A,")
    async with db.session() as session:
        stream = check_stream(read_table(first), config=load_config(), zone=ZONE, now=NOW)
        stored = [c for c in stream if isinstance(c, ImportedContact)]
        await import_contacts(session=session, contacts=stored, now=NOW)
    rebuilt = db.dialect == "sqlite"
    assert ("DROP INDEX ix_contact_import_key" in rebuild_always) is rebuilt
    before = await stored_keys(db)
    # Two rows with one key, in different batches (a batch never repeats a key): the
    # uniqueness of the keys is checked by the index even when it is built anew.
    row = stored[0]._replace(occurred_at=datetime(2025, 3, 1, tzinfo=UTC), import_key="k")
    twice = [row, *(row._replace(import_key=f"k{n}") for n in range(2500)), row]
    rebuild_always.clear()
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            await import_contacts(session=session, contacts=twice, now=NOW)
    assert any(s.startswith("CREATE UNIQUE INDEX") for s in rebuild_always) is rebuilt
    assert await stored_keys(db) == before and await count(db, Contact) == 1
    indexes, _ = await key_index(db)
    assert [(i["name"], bool(i["unique"])) for i in indexes] == [("ix_contact_import_key", True)]
    async with db.session() as session:  # the stored key is still found: nothing twice
        again = await import_contacts(session=session, contacts=stored, now=NOW)
    assert (again.added, again.already_present) == (0, 1)
