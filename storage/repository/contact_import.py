"""Storing imported contacts: residents by external reference, new/known, no doubles.

Called inside one session (one transaction) for a whole file, so a file is stored
entirely or not at all. The contacts arrive as a stream and are written in batches,
so memory grows with the number of residents in the file, not with its rows. Rows
whose ``import_key`` is already stored are skipped, which makes importing the same
file again harmless.

``import_key`` is ``HMAC-SHA256(secret, row digest)``: the secret lives outside the
database (``import.key`` in the data directory), so someone with a copy of the
database cannot recover an erased resident's reference by hashing guessed rows. Keys
stored before there was a secret were the bare row digests; ``prepare_import_keys``
re-keys them once, which keeps re-imports of old files idempotent.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    bindparam,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Contact, JobRun, Resident

IMPORT_EVENT = "import"
# SQLite allows 32766 bound parameters; stay far below it. One statement per batch:
# a large file is hundreds of batches.
_BATCH = 2000
_IN_CHUNK = _BATCH
# job_run row that says which secret the stored keys are keyed with (by fingerprint).
_KEYED_MARK = "import_key:"

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
_CONTACT = Contact.__table__  # type: ignore[attr-defined]
# What repeats from row to row (a file has a few hundred combinations of these) is
# staged once, in a second temporary table that each row refers to: a third of the
# values per row to write, and a smaller sort at the end.
_VALUE_NAMES = (
    "channel", "direction", "kind", "category", "village", "location", "queue", "outcome",
)  # fmt: skip
_STAGING = MetaData()
_STAGED_VALUES = Table(
    "contact_import_values",
    _STAGING,
    Column("id", Integer, primary_key=True, autoincrement=False),
    *(Column(name, _CONTACT.c[name].type) for name in _VALUE_NAMES),
    prefixes=["TEMPORARY"],
)
_STAGED = Table(
    "contact_import_staging",
    _STAGING,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("occurred_at", _CONTACT.c.occurred_at.type),
    Column("value_id", Integer),
    Column("new_or_known", _CONTACT.c.new_or_known.type),
    Column("resident_id", Integer),
    Column("import_key", _CONTACT.c.import_key.type),
    prefixes=["TEMPORARY"],
)
# On SQLite, the page cache during an import (24 MiB, in KiB): the indexes a large
# file updates then stay mostly in memory instead of going back and forth through the
# WAL. Sorting the staged rows may take as much again, within the 200 MB a large
# import may use.
_SQLITE_IMPORT_CACHE_KIB = 24_576


class _Stage:
    """Writes staged rows: plain tuples through the driver on SQLite (a million rows
    spend seconds in per-row statement parameters otherwise), Core elsewhere."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        dialect = session.get_bind().dialect
        self.sqlite = dialect.name == "sqlite"
        self.copy = dialect.name == "postgresql" and dialect.driver == "asyncpg"
        self.sql = {
            table.name: f"INSERT INTO {table.name} ({', '.join(table.c.keys())})"
            f" VALUES ({', '.join('?' for _ in table.c)})"
            for table in (_STAGED, _STAGED_VALUES)
        }
        self.when: Callable[[datetime], Any] = _sqlite_time
        if self.sqlite:
            # Queries compare stored times as text, so a staged time must be the very
            # text SQLAlchemy writes; its own conversion is used should they differ.
            column_type = _STAGED.c.occurred_at.type
            stored = column_type.dialect_impl(dialect).bind_processor(dialect) or str
            samples = (
                datetime(2026, 3, 29, 1, 2, 3, tzinfo=UTC),
                datetime(2026, 1, 1, 0, 0, 0, 7, UTC),
            )
            if any(_sqlite_time(t) != stored(t) for t in samples):
                self.when = stored

    async def write(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        """Stages rows given in the order of the table's columns (on SQLite with the
        time already as ``time`` makes it)."""
        connection = await self.session.connection()
        if self.sqlite:
            await connection.exec_driver_sql(self.sql[table.name], rows)
        elif self.copy:
            # PostgreSQL's COPY: one round trip for the batch instead of statements.
            raw: Any = (await connection.get_raw_connection()).driver_connection
            await raw.copy_records_to_table(table.name, records=rows, columns=table.c.keys())
        else:
            names = table.c.keys()
            await self.session.execute(
                insert(table), [dict(zip(names, r, strict=True)) for r in rows]
            )

    def time(self, value: datetime) -> Any:
        """A time as it is staged: the stored text on SQLite, else the time itself."""
        if self.sqlite:
            return self.when(value)
        if value.tzinfo is None:  # as the column type refuses it: COPY would not
            raise ValueError("naive datetime given; use an aware datetime (UTC)")
        return value


def _from_staging() -> Any:
    """``INSERT INTO contact ... SELECT`` the staged rows, in time order (file order
    within a moment)."""
    values = _STAGED_VALUES.c
    columns = {
        "occurred_at": _STAGED.c.occurred_at,
        **{name: values[name] for name in _VALUE_NAMES},
        "event": literal(IMPORT_EVENT, _CONTACT.c.event.type),
        "new_or_known": _STAGED.c.new_or_known,
        "resident_id": _STAGED.c.resident_id,
        "import_key": _STAGED.c.import_key,
    }
    rows = (
        select(*columns.values())
        .select_from(_STAGED.join(_STAGED_VALUES, values.id == _STAGED.c.value_id))
        .order_by(_STAGED.c.occurred_at, _STAGED.c.seq)
    )
    return insert(_CONTACT).from_select(list(columns), rows)


def _sqlite_time(value: datetime) -> str:
    if value.tzinfo is UTC:  # the usual case: one call instead of two ("+00:00" cut off)
        return value.isoformat(" ", "microseconds")[:26]
    value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


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
    for table in (_STAGED, _STAGED_VALUES):
        await connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
        await connection.run_sync(table.create)
    value_ids: dict[tuple[Any, ...], int] = {}
    stage = _Stage(session)
    cache = None
    if stage.sqlite:
        cache = (await connection.exec_driver_sql("PRAGMA cache_size")).scalar()
        await connection.exec_driver_sql(f"PRAGMA cache_size=-{_SQLITE_IMPORT_CACHE_KIB}")
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
                await stage.write(_STAGED_VALUES, new_values)
            if rows:
                await stage.write(_STAGED, rows)
            for chunk in _chunks(demoted, _IN_CHUNK):
                await session.execute(
                    update(_STAGED)
                    .where(_STAGED.c.seq.in_(chunk), _STAGED.c.new_or_known == "nieuw")
                    .values(new_or_known="bekend")
                )
            added += len(rows)
            present += len(batch) - len(rows)
            if progress is not None:
                progress(len(batch))
        await session.execute(_from_staging())
        for table in (_STAGED, _STAGED_VALUES):
            await connection.run_sync(table.drop)
    finally:
        if cache is not None:
            await connection.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")
    return ImportResult(added, present, new_residents)


def keyed_import_key(secret: bytes, row_digest: str) -> str:
    """The stored ``import_key`` of a row: HMAC-SHA256 of its digest under the secret."""
    return hmac.digest(secret, row_digest.encode(), "sha256").hex()


class ImportKeyer:
    """``keyed_import_key`` for the rows of one file: the same keys, about twice as fast.

    HMAC hashes the secret (padded two ways) before each row's digest; here those two
    starts are hashed once and copied per row, which saves a second or more on a file
    of a million rows.
    """

    _BLOCK = 64  # SHA-256's block size, as HMAC (RFC 2104) pads the secret to

    def __init__(self, secret: bytes) -> None:
        if len(secret) > self._BLOCK:
            secret = hashlib.sha256(secret).digest()
        padded = secret.ljust(self._BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def key(self, row_digest: str) -> str:
        """The stored ``import_key`` of the row with this digest."""
        inner = self._inner.copy()
        inner.update(row_digest.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


class ImportKeyMismatch(Exception):
    """The stored import keys were made with another secret than the one given."""


def _fingerprint(secret: bytes) -> str:
    # Names the secret in the database without revealing it.
    return hmac.new(secret, b"helpline import secret", hashlib.sha256).hexdigest()[:16]


async def prepare_import_keys(*, session: AsyncSession, secret: bytes, now: datetime) -> int:
    """Makes sure the stored import keys are keyed with ``secret``: the first time,
    re-keys every stored bare digest (keys from before there was a secret) in this
    transaction, and records that in ``job_run``.

    Returns:
        How many stored keys were re-keyed now (0 when done before).

    Raises:
        ImportKeyMismatch: when earlier imports used another secret (a lost or replaced
            ``import.key``): their keys cannot be re-keyed, and re-importing their files
            would store every row twice.
    """
    mark = _KEYED_MARK + _fingerprint(secret)
    marks = set(
        await session.scalars(
            select(col(JobRun.name)).where(col(JobRun.name).startswith(_KEYED_MARK))
        )
    )
    if marks:
        if mark in marks:
            return 0
        raise ImportKeyMismatch
    # The mark first: a concurrent first import then fails on its primary key, not later.
    session.add(JobRun(name=mark, last_run_at=now))
    await session.flush()
    statement = (
        update(Contact.__table__)  # type: ignore[attr-defined]
        .where(
            Contact.__table__.c.id == bindparam("row_id"),  # type: ignore[attr-defined]
            Contact.__table__.c.import_key == bindparam("old"),  # type: ignore[attr-defined]
        )
        .values(import_key=bindparam("new"))
        .execution_options(synchronize_session=False)
    )
    rekeyed, after = 0, 0
    while True:
        rows = (
            await session.execute(
                select(col(Contact.id), col(Contact.import_key))
                .where(col(Contact.id) > after, col(Contact.import_key).is_not(None))
                .order_by(col(Contact.id))
                .limit(_BATCH)
            )
        ).all()
        if not rows:
            return rekeyed
        await session.execute(
            statement,
            [
                {"row_id": row_id, "old": key, "new": keyed_import_key(secret, key)}
                for row_id, key in rows
                if key is not None
            ],
        )
        rekeyed += len(rows)
        after = int(rows[-1][0] or 0)
