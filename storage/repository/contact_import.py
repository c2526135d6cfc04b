"""Storing imported contacts: residents by external reference, new/known, no doubles.

Called inside one session (one transaction) for a whole file, so a file is stored
entirely or not at all. The contacts arrive as a stream and are written in batches,
so memory grows with the number of residents in the file, not with its rows. Rows
whose ``import_key`` is already stored are skipped, which makes importing the same
file again harmless.

``import_key`` is a keyed hash of the row (``storage.repository.import_keys``); the
staging tables and the final insert are in ``storage.repository.import_staging``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Contact, Resident
from storage.repository.import_keys import (
    ImportKeyer,
    ImportKeyMismatch,
    keyed_import_key,
    prepare_import_keys,
)
from storage.repository.import_staging import (
    IMPORT_EVENT,
    KEY_INDEX,
    SQLITE_IMPORT_CACHE_KIB,
    STAGED,
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
    "import_contacts",
    "keyed_import_key",
    "prepare_import_keys",
]

# SQLite allows 32766 bound parameters; stay far below it. One statement per batch:
# a large file is hundreds of batches.
_BATCH = 2000
_IN_CHUNK = _BATCH

T = TypeVar("T")


class ImportedContact(NamedTuple):
    """One checked row of an import file (times aware UTC, values as keys); a tuple,
    being made a million times for a large file."""

    occurred_at: datetime
    channel: str
    direction: str
    kind: str
    category: str | None
    village: str | None
    location: str | None
    queue: str | None
    outcome: str | None
    resident_ref: str | None
    import_key: str


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


class _Resident:
    """What the import knows of one resident: their id, their earliest stored contact
    from before this import, and their earliest contact in the file so far."""

    __slots__ = ("earliest_at", "earliest_nieuw", "earliest_seq", "first_stored", "id")

    def __init__(self, resident_id: int, first_stored: datetime | None) -> None:
        self.id, self.first_stored = resident_id, first_stored
        self.earliest_at: datetime | None = None
        self.earliest_seq: int | None = None
        self.earliest_nieuw = False  # that earliest row was staged as ``nieuw`` now

    def label(self, contact: ImportedContact, seq: int, fresh: bool) -> tuple[str, int | None]:
        """``nieuw`` for the resident's first contact (stored or in the file), else
        ``bekend``; and the staged row (by ``seq``) stored as ``nieuw`` that this one,
        being earlier, turns into ``bekend`` (a file need not be in time order)."""
        if self.earliest_at is not None and contact.occurred_at >= self.earliest_at:
            return "bekend", None  # the same moment keeps file order
        stored_earlier = self.first_stored is not None and self.first_stored < contact.occurred_at
        label = "bekend" if stored_earlier else "nieuw"
        demoted = self.earliest_seq if self.earliest_nieuw else None
        self.earliest_at, self.earliest_seq = contact.occurred_at, seq
        self.earliest_nieuw = fresh and label == "nieuw"
        return label, demoted


def _batches(contacts: Iterable[ImportedContact], size: int) -> Iterator[list[ImportedContact]]:
    stream = iter(contacts)
    while batch := list(islice(stream, size)):
        yield batch


# The rows of one import wait here (in file order, numbered by ``seq``) until the file
# has been read: they then go into ``contact`` in time order, where they mostly extend
# the time indexes at their end instead of landing all over them, which on a large
# file is several times faster. A temporary table: private to the connection, gone
# with a rollback.
async def import_contacts(
    *,
    session: AsyncSession,
    contacts: Iterable[ImportedContact],
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Stores the contacts not stored before, reading them as a stream in batches;
    ``progress`` hears of every batch read."""
    residents: dict[str, _Resident] = {}
    added = present = new_residents = 0
    connection = await session.connection()
    for table in (STAGED, STAGED_VALUES):
        await connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
        await connection.run_sync(table.create)
    value_ids: dict[tuple[Any, ...], int] = {}
    stage = Stage(session)
    await stage.use_micros()
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
    staged_time = stage.time
    try:
        for batch in _batches(contacts, _BATCH):
            unseen = sorted({c.resident_ref for c in batch if c.resident_ref} - residents.keys())
            ids, created = await _resident_ids(session, unseen, now)
            first = await _first_contacts(session, list(ids.values()))
            residents.update({ref: _Resident(rid, first.get(rid)) for ref, rid in ids.items()})
            new_residents += created
            stored = (
                await _stored_keys(session, [c.import_key for c in batch]) if any_stored else set()
            )
            rows: list[tuple[Any, ...]] = []
            new_values: list[tuple[Any, ...]] = []
            demoted: list[int] = []
            for c in batch:
                fresh = c.import_key not in stored
                resident = residents[c.resident_ref] if c.resident_ref else None
                seq = added + len(rows)
                label = None
                if resident is not None:
                    label, earlier = resident.label(c, seq, fresh)
                    if earlier is not None:
                        demoted.append(earlier)
                if not fresh:
                    continue
                stored.add(c.import_key)
                values = c[1:9]  # channel ... outcome, in the order of _VALUE_NAMES
                value_id = value_ids.get(values)
                if value_id is None:
                    value_id = value_ids[values] = len(value_ids)
                    new_values.append((value_id, *values))
                rows.append((
                    seq, staged_time(c.occurred_at), value_id, label,
                    resident.id if resident else None, c.import_key,
                ))  # fmt: skip
            if new_values:
                await stage.write(STAGED_VALUES, new_values)
            if rows:
                await stage.write(STAGED, rows)
            for chunk in _chunks(demoted, _IN_CHUNK):
                await session.execute(
                    update(STAGED)
                    .where(STAGED.c.seq.in_(chunk), STAGED.c.new_or_known == "nieuw")
                    .values(new_or_known="bekend")
                )
            added += len(rows)
            present += len(batch) - len(rows)
            if progress is not None:
                progress(len(batch))
        rebuild = stage.sqlite and await rebuild_pays(session, added)
        if rebuild:
            await connection.run_sync(KEY_INDEX.drop)
        await session.execute(from_staging(stage.micros))
        if rebuild:  # a key stored twice fails here, as it would have in the insert
            await connection.run_sync(KEY_INDEX.create)
        for table in (STAGED, STAGED_VALUES):
            await connection.run_sync(table.drop)
    finally:
        if cache is not None:
            await connection.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")
    return ImportResult(added, present, new_residents)
