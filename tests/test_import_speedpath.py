"""Import: the fast ways of a large import give exactly what the plain ways give."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import col

from flows.config import load_config
from helpline.reporting.importfile import read_table
from helpline.reporting.importrows import check_stream
from helpline.reporting.importtimes import LocalHours, parse_when
from storage.db import Database
from storage.models import Contact, Resident
from storage.repository.contact_import import (
    ImportedContact,
    ImportKeyer,
    import_contacts,
    keyed_import_key,
)

HEADER = "occurred_at,channel,direction,kind,category,village,location,resident,outcome"
ZONE = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def stream(path: Path) -> list[ImportedContact]:
    """The checked rows of a file (keyed), as the import command hands them on."""
    found = check_stream(
        read_table(path), config=load_config(), zone=ZONE, now=NOW, secret=b"s" * 32
    )
    return [c for c in found if isinstance(c, ImportedContact)]


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("secret", [b"s" * 32, b"k" * 64, b"long" * 40, bytes(range(70))])
def test_keyer_gives_the_keys_of_keyed_import_key(secret: bytes) -> None:
    keyer = ImportKeyer(secret)
    for digest in ("", "abc", hashlib.sha256(b"row").hexdigest()):
        assert keyer.key(digest) == keyed_import_key(secret, digest)


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "Asia/Kolkata", "Australia/Lord_Howe"])
def test_times_per_hour_equal_the_plain_conversion(zone: str) -> None:
    hours = LocalHours(ZoneInfo(zone), NOW)
    texts = []
    for day in ("2025-03-30", "2025-10-26", "2025-04-05", "2025-10-05", "2000-01-01"):
        for hour in range(24):
            for minute in ("00", "29", "30", "59:59", "07:05"):
                texts.append(f"{day} {hour:02d}:{minute}")
                texts.append(f"{day}T{hour:02d}:{minute}")
    texts += ["2025-12-31 23:59", "2026-01-01 00:30", "2026-01-01 01:30", "1999-12-31 23:30"]
    fast = 0
    for text in texts:
        found = hours.convert(text)
        if found is None:
            continue  # left to the plain conversion (with its messages)
        fast += 1
        plain = parse_when(text, ZoneInfo(zone))
        assert found == (plain, plain.isoformat()), text
        assert datetime(2000, 1, 1, tzinfo=UTC) <= plain <= NOW
    assert fast > len(texts) // 2


def test_times_the_fast_way_refuses_go_the_plain_way() -> None:
    hours = LocalHours(ZONE, NOW)
    for text in (
        "2025-02-30 10:00",  # no such day
        "2025-02-28 24:00",
        "2025-02-28 10:60",
        "2025-02-28 10:6",
        "2025-02-28 9:06",
        " 2025-02-28 10:06",
        "8-2-2025 10:06",
        "2025-02-28",
        "2030-01-01 10:00",  # in the future: needs its message
        "1999-12-31 23:00",
        "2025-12-31 23:30",  # part of this hour in UTC is after NOW? (no: 22:30 UTC)
    ):
        found = hours.convert(text)
        if found is not None:
            assert found[0] == parse_when(text, ZONE) and found[0] <= NOW, text


def test_import_key_is_the_documented_hmac_of_the_row_and_its_repeat(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.csv",
        HEADER,
        "2025-02-01 09:00,phone,,,geldzaken,Drunen,,R1,doorverwezen",
        "2025-02-01 09:00,phone,,,geldzaken,Drunen,,R1,doorverwezen",
    )
    secret = b"x" * 32
    found = [
        c
        for c in check_stream(
            read_table(path), config=load_config(), zone=ZONE, now=NOW, secret=secret
        )
        if isinstance(c, ImportedContact)
    ]
    assert found[0].queue is not None
    row = "\x1f".join((
        "2025-02-01T08:00:00+00:00", found[0].channel, found[0].direction, found[0].kind,
        "geldzaken", "drunen", "", "R1", "doorverwezen",
    ))  # fmt: skip
    expected = [
        hmac.new(
            secret, hashlib.sha256(f"{row}\x1e{n}".encode()).hexdigest().encode(), "sha256"
        ).hexdigest()
        for n in (0, 1)
    ]
    assert [c.import_key for c in found] == expected


async def test_stored_rows_carry_every_value_of_the_checked_rows(
    db: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "a.csv",
        HEADER,
        "2025-02-01 09:00,walk_in,,,geldzaken,Drunen,,R1,doorverwezen",
        "2025-01-01 10:00,phone,outbound,,boodschappen,Vlijmen,,,",
        "2025-03-01 11:30,email,,,,,,R1,",
    )
    checked = stream(path)
    async with db.session() as session:
        result = await import_contacts(session=session, contacts=checked, now=NOW)
    assert result.added == 3
    async with db.session() as session:
        rows = (
            await session.execute(
                select(Contact, col(Resident.external_ref))
                .outerjoin(Resident, col(Resident.id) == col(Contact.resident_id))
                .order_by(col(Contact.id))
            )
        ).all()
    stored = [
        ImportedContact(
            c.occurred_at,
            c.channel,
            c.direction,
            c.kind,
            c.category,
            c.village,
            c.location,
            c.queue,
            c.outcome,
            ref,
            c.import_key or "",
        )
        for c, ref in rows
    ]
    assert stored == sorted(checked, key=lambda c: c.occurred_at)
    assert {c.event for c, _ in rows} == {"import"}
    assert [c.new_or_known for c, _ in rows] == [None, "nieuw", "bekend"]
    assert all(c.staff_id is None and c.request_id is None for c, _ in rows)


async def test_rows_stored_by_another_file_are_found_again(db: Database, tmp_path: Path) -> None:
    first = write(tmp_path, "a.csv", HEADER, "2025-02-01 09:00,phone,,,,,,A,")
    both = write(
        tmp_path,
        "b.csv",
        HEADER,
        "2025-01-01 09:00,phone,,,,,,A,",
        "2025-02-01 09:00,phone,,,,,,A,",
    )

    async with db.session() as session:
        assert (await import_contacts(session=session, contacts=stream(first), now=NOW)).added == 1
    async with db.session() as session:
        result = await import_contacts(session=session, contacts=stream(both), now=NOW)
    assert (result.added, result.already_present) == (1, 1)


def test_naive_times_are_refused_before_staging() -> None:
    # The time's own column type refuses a naive time; staging by COPY must too.
    from storage.import_batches import CONVERTERS

    for convert in CONVERTERS.values():
        with pytest.raises(ValueError, match="naive"):
            convert(datetime(2025, 1, 1) + timedelta(hours=1))


async def test_staged_times_are_stored_as_the_text_a_query_compares_with(
    db: Database, tmp_path: Path
) -> None:
    [row] = stream(write(tmp_path, "a.csv", HEADER, "2025-02-01 09:00,phone,,,,,,A,"))
    times = [
        datetime(2025, 2, 1, 9, 0, 0, 7, UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, UTC),
        datetime(2026, 3, 29, 1, 2, 3, tzinfo=ZoneInfo("Europe/Amsterdam")),
    ]
    contacts = [row._replace(occurred_at=t, import_key=f"k{n}") for n, t in enumerate(times)]
    async with db.session() as session:
        assert (await import_contacts(session=session, contacts=contacts, now=NOW)).added == 3
    async with db.session() as session:
        for when in times:  # SQLite compares the stored text with the bound time's text
            found = await session.scalar(
                select(col(Contact.import_key)).where(col(Contact.occurred_at) == when)
            )
            assert found == f"k{times.index(when)}"
        stored = list(
            await session.scalars(select(col(Contact.occurred_at)).order_by(col(Contact.id)))
        )
    assert stored == sorted(times)
