"""Storing imported contacts: residents by external reference, new/known, no doubles.

Called inside one session (one transaction) for a whole file, so a file is stored
entirely or not at all. The contacts arrive as a stream of staged batches
(``storage.import_batches``, made in this process or in the one reading the
file) and are written batch by batch, so memory grows with the number of residents in
the file, not with its rows. Rows whose ``import_key`` is already stored are skipped,
which makes importing the same file again harmless. Each resident's earliest contact is
``nieuw`` unless one stored before is earlier; every other one is ``bekend``.

``import_key`` is a keyed hash of the row (``storage.repository.import_keys``); the
staging tables and the final insert are in ``storage.repository.import_staging``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.import_batches import ImportedContact, StagedBatch, TimeMode, staged
from storage.models import Contact, Resident
from storage.repository.import_keys import (
    ImportKeyer,
    ImportKeyMismatch,
    keyed_import_key,
    prepare_import_keys,
)
from storage.repository.import_staging import (
    IMPORT_EVENT,
    REBUILT_INDEXES,
    SQLITE_IMPORT_CACHE_KIB,
    STAGED,
    STAGED_RESIDENTS,
    STAGED_VALUES,
    Stage,
    from_staging,
    rebuild_pays,
)

__all__ = [
    "IMPORT_EVENT",
    "ImportKeyMismatch",
    "ImportKeyer",
    "ImportResult",
    "ImportedContact",
    "StagedBatch",
    "import_contacts",
    "import_staged",
    "keyed_import_key",
    "prepare_import_keys",
]

# SQLite allows 32766 bound parameters; stay far below it. One statement per batch:
# a large file is hundreds of batches.
_BATCH = 2000
_IN_CHUNK = _BATCH

T = TypeVar("T")


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    added: int
    already_present: int
    new_residents: int


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert_ignoring(session: AsyncSession, table: Any, conflict: str) -> Any:
    """``INSERT ... ON CONFLICT (conflict) DO NOTHING`` in the session's dialect."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=[conflict])


async def _resident_ids(
    session: AsyncSession, refs: Sequence[str], now: datetime
) -> tuple[dict[str, int], int]:
    """The resident id of every reference, creating residents not seen before."""
    ids: dict[str, int] = {}
    for chunk in _chunks(refs, _IN_CHUNK):
        rows = await session.execute(
            select(col(Resident.external_ref), col(Resident.id)).where(
                col(Resident.external_ref).in_(chunk)
            )
        )
        ids.update({ref: rid for ref, rid in rows if ref is not None and rid is not None})
    missing = [ref for ref in refs if ref not in ids]
    table = Resident.__table__  # type: ignore[attr-defined]
    for chunk in _chunks(missing, _BATCH):
        await session.execute(
            _insert_ignoring(session, table, "external_ref"),
            [{"external_ref": ref, "language": "nl", "created_at": now} for ref in chunk],
        )
    for chunk in _chunks(missing, _IN_CHUNK):
        rows = await session.execute(
            select(col(Resident.external_ref), col(Resident.id)).where(
                col(Resident.external_ref).in_(chunk)
            )
        )
        ids.update({ref: rid for ref, rid in rows if ref is not None and rid is not None})
    return ids, len(missing)


async def _first_contacts(
    session: AsyncSession, resident_ids: Sequence[int]
) -> dict[int, datetime]:
    """The earliest stored contact of each of these residents."""
    first: dict[int, datetime] = {}
    for chunk in _chunks(resident_ids, _IN_CHUNK):
        rows = await session.execute(
            select(col(Contact.resident_id), func.min(col(Contact.occurred_at)))
            .where(col(Contact.resident_id).in_(chunk))
            .group_by(col(Contact.resident_id))
        )
        first.update({rid: when for rid, when in rows if rid is not None})
    return first


async def _stored_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    stored: set[str] = set()
    for chunk in _chunks(keys, _IN_CHUNK):
        rows = await session.scalars(
            select(col(Contact.import_key)).where(col(Contact.import_key).in_(chunk))
        )
        stored.update(key for key in rows if key is not None)
    return stored


async def _mark_first_contacts(
    session: AsyncSession,
    earliest: dict[int, tuple[datetime, int]],
    resident_ids: list[int],
) -> None:
    """Stages as ``nieuw`` each resident's earliest row in the file, unless a contact of
    theirs stored before this import is earlier (then every row of theirs is ``bekend``,
    as staged)."""
    first = await _first_contacts(session, resident_ids)
    firsts = [
        seq
        for number, (when, seq) in earliest.items()
        if (stored := first.get(resident_ids[number])) is None or not stored < when
    ]
    for chunk in _chunks(sorted(firsts), _IN_CHUNK):
        await session.execute(
            update(STAGED).where(STAGED.c.seq.in_(chunk)).values(new_or_known="nieuw")
        )


async def import_staged(
    *,
    session: AsyncSession,
    batches: Callable[[TimeMode], Iterable[StagedBatch]],
    now: datetime,
) -> ImportResult:
    """Stores the staged contacts not stored before.

    Args:
        batches: given how times are staged here, the batches of the file in order (made
            in this process or in another), the last one carrying the residents'
            earliest rows.
    """
    resident_ids: list[int] = []  # by the number the staged rows carry
    earliest: dict[int, tuple[datetime, int]] = {}
    added = present = new_residents = 0
    connection = await session.connection()
    for table in (STAGED, STAGED_VALUES, STAGED_RESIDENTS):
        await connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
        await connection.run_sync(table.create)
    stage = Stage(session)
    mode = await stage.time_mode()
    cache = None
    if stage.sqlite:
        cache = (await connection.exec_driver_sql("PRAGMA cache_size")).scalar()
        await connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
    # On a database where no import stored anything yet (the first, large import),
    # no row can be there already: no look-up per batch.
    any_stored = (
        await session.scalar(
            select(col(Contact.import_key)).where(col(Contact.import_key).is_not(None)).limit(1)
        )
        is not None
    )
    try:
        for batch in batches(mode):
            if batch.refs:
                ids, created = await _resident_ids(session, sorted(set(batch.refs)), now)
                new_residents += created
                numbered = [(len(resident_ids) + n, ids[ref]) for n, ref in enumerate(batch.refs)]
                resident_ids.extend(ids[ref] for ref in batch.refs)
                await stage.write(STAGED_RESIDENTS, numbered)
            rows = batch.rows
            if any_stored and rows:
                stored = await _stored_keys(session, [row[-1] for row in rows])
                rows = [row for row in rows if row[-1] not in stored] if stored else rows
            if batch.values:
                await stage.write(STAGED_VALUES, batch.values)
            if rows:
                await stage.write(STAGED, rows)
            added += len(rows)
            present += len(batch.rows) - len(rows)
            if batch.earliest is not None:
                earliest = batch.earliest
        await _mark_first_contacts(session, earliest, resident_ids)
        rebuild = stage.sqlite and await rebuild_pays(session, added)
        if rebuild:
            for index in REBUILT_INDEXES:
                await connection.run_sync(index.drop)
        await session.execute(from_staging(mode))
        if rebuild:  # a key stored twice fails here, as it would have in the insert
            for index in REBUILT_INDEXES:
                await connection.run_sync(index.create)
        for table in (STAGED, STAGED_VALUES, STAGED_RESIDENTS):
            await connection.run_sync(table.drop)
    finally:
        if cache is not None:
            await connection.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")
    return ImportResult(added, present, new_residents)


async def import_contacts(
    *,
    session: AsyncSession,
    contacts: Iterable[ImportedContact],
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Stores the contacts not stored before, reading them as a stream in batches in
    this process; ``progress`` hears of every batch read."""
    return await import_staged(
        session=session, batches=lambda mode: staged(contacts, mode, progress), now=now
    )
