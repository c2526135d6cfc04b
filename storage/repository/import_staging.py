"""Staging an import on the database side: temporary tables, times as SQLite stores them,
and the one ``INSERT ... SELECT`` that moves the staged rows into ``contact``.

A large file is staged in batches into a temporary table, then stored with a single
statement in time order, so the contact table and its indexes are written once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    func,
    insert,
    literal,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact

IMPORT_EVENT = "import"

_CONTACT = Contact.__table__  # type: ignore[attr-defined]
# What repeats from row to row (a file has a few hundred combinations of these) is
# staged once, in a second temporary table that each row refers to: a third of the
# values per row to write, and a smaller sort at the end.
_VALUE_NAMES = (
    "channel", "direction", "kind", "category", "village", "location", "queue", "outcome",
)  # fmt: skip
_STAGING = MetaData()
STAGED_VALUES = Table(
    "contact_import_values",
    _STAGING,
    Column("id", Integer, primary_key=True, autoincrement=False),
    *(Column(name, _CONTACT.c[name].type) for name in _VALUE_NAMES),
    prefixes=["TEMPORARY"],
)
STAGED = Table(
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
SQLITE_IMPORT_CACHE_KIB = 24_576
# The unique index of the keyed hashes: random values, so every stored row would land
# on another page of it. A large import on SQLite drops it and builds it again after
# the insert (one sort; the duplicate check then happens there, in this transaction):
# when the file adds at least _REBUILD_FROM_ROWS rows and at least a quarter of what
# ``contact`` holds, as the rebuild sorts every row of it. (On PostgreSQL dropping it
# would lock the table against the bot's readers until the commit.)
KEY_INDEX = next(i for i in _CONTACT.indexes if i.name == "ix_contact_import_key")
_REBUILD_FROM_ROWS = 20_000
_REBUILD_SHARE = 4


# On SQLite a time is staged as microseconds since the year 1 (UTC): an integer is made
# (and sorted) several times faster than the text, which the insert then writes.
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_SQLITE_TEXT = (  # 62135596800: the seconds from the year 1 to 1970
    "datetime({t} / 1000000 - 62135596800, 'unixepoch')"
    " || '.' || substr({t} % 1000000 + 1000000, 2)"
)
_TIME_SAMPLES = (
    datetime(2026, 3, 29, 1, 2, 3, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 0, 0, 7, UTC),
    datetime(1969, 12, 31, 23, 59, 59, 999_999, UTC),
)


class Stage:
    """Writes staged rows: plain tuples through the driver on SQLite (a million rows
    spend seconds in per-row statement parameters otherwise), Core elsewhere."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        dialect = session.get_bind().dialect
        self.sqlite = dialect.name == "sqlite"
        self.micros = False
        self.copy = dialect.name == "postgresql" and dialect.driver == "asyncpg"
        self.sql = {
            table.name: f"INSERT INTO {table.name} ({', '.join(table.c.keys())})"
            f" VALUES ({', '.join('?' for _ in table.c)})"
            for table in (STAGED, STAGED_VALUES)
        }
        self.when: Callable[[datetime], Any] = _sqlite_time
        if self.sqlite:
            # Queries compare stored times as text, so a staged time must be the very
            # text SQLAlchemy writes; its own conversion is used should they differ.
            column_type = STAGED.c.occurred_at.type
            stored = column_type.dialect_impl(dialect).bind_processor(dialect) or str
            self.samples = [stored(t) for t in _TIME_SAMPLES]
            if [_sqlite_time(t) for t in _TIME_SAMPLES] != self.samples:
                self.when = stored

    async def use_micros(self) -> None:
        """On SQLite, stages times as microseconds when the insert turns them into the
        very text SQLAlchemy writes (checked on samples), else as that text."""
        if not self.sqlite:
            return
        connection = await self.session.connection()
        query = "SELECT " + _SQLITE_TEXT.format(t="?")
        for sample, text in zip(_TIME_SAMPLES, self.samples, strict=True):
            micros = (sample - _EPOCH) // _MICROSECOND
            if (await connection.exec_driver_sql(query, (micros, micros))).scalar() != text:
                return
        self.micros = True

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
        """A time as it is staged: on SQLite microseconds (``use_micros``) or the stored
        text, else the time itself."""
        if value.tzinfo is None:  # as the column type refuses it: COPY would not
            raise ValueError("naive datetime given; use an aware datetime (UTC)")
        if not self.sqlite:
            return value
        if self.micros:
            return (value - _EPOCH) // _MICROSECOND
        return self.when(value)


def from_staging(micros: bool) -> Any:
    """``INSERT INTO contact ... SELECT`` the staged rows, in time order (file order
    within a moment); ``micros``: the times were staged as microseconds."""
    values = STAGED_VALUES.c
    staged_time: Any = STAGED.c.occurred_at
    if micros:
        staged_time = literal_column(_SQLITE_TEXT.format(t=f"{STAGED.name}.occurred_at"))
    columns = {
        "occurred_at": staged_time,
        **{name: values[name] for name in _VALUE_NAMES},
        "event": literal(IMPORT_EVENT, _CONTACT.c.event.type),
        "new_or_known": STAGED.c.new_or_known,
        "resident_id": STAGED.c.resident_id,
        "import_key": STAGED.c.import_key,
    }
    rows = (
        select(*columns.values())
        .select_from(STAGED.join(STAGED_VALUES, values.id == STAGED.c.value_id))
        .order_by(STAGED.c.occurred_at, STAGED.c.seq)
    )
    return insert(_CONTACT).from_select(list(columns), rows)


async def rebuild_pays(session: AsyncSession, adding: int) -> bool:
    """Whether building the key index anew is cheaper than adding ``adding`` keys to it."""
    if adding < _REBUILD_FROM_ROWS:
        return False
    stored = await session.scalar(select(func.count()).select_from(_CONTACT))
    return adding * _REBUILD_SHARE >= int(stored or 0)


def _sqlite_time(value: datetime) -> str:
    if value.tzinfo is UTC:  # the usual case: one call instead of two ("+00:00" cut off)
        return value.isoformat(" ", "microseconds")[:26]
    value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")
