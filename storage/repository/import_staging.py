"""Staging an import on the database side: temporary tables, times as SQLite stores them,
and the one ``INSERT ... SELECT`` that moves the staged rows into ``contact``.

A large file is staged in batches into temporary tables (the rows; the value
combinations they share; their residents, by the number the rows carry), then stored
with a single statement in time order, so the contact table and its indexes are written
once.
"""

from __future__ import annotations

from datetime import UTC, datetime
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

from storage.import_batches import TimeMode, micros, sqlite_text
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
    Column("resident_number", Integer),
    Column("import_key", _CONTACT.c.import_key.type),
    prefixes=["TEMPORARY"],
)
# The residents of the file by the number the staged rows carry (ids are known only
# to the storing process; the rows are numbered where the file is read).
STAGED_RESIDENTS = Table(
    "contact_import_residents",
    _STAGING,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("resident_id", Integer),
    prefixes=["TEMPORARY"],
)
# On SQLite, the page cache during an import (24 MiB, in KiB): the indexes a large
# file updates then stay mostly in memory instead of going back and forth through the
# WAL. Sorting the staged rows may take as much again, within the 200 MB a large
# import may use.
SQLITE_IMPORT_CACHE_KIB = 24_576
# The indexes whose entries a large import puts at random places: the unique index of
# the keyed hashes (random values) and the one by resident (a file's residents come in
# any order), so every stored row would land on another page of each. A large import
# on SQLite drops them and builds them again after the insert (one sort each; the
# duplicate check of the keys then happens there, in this transaction): when the file
# adds at least _REBUILD_FROM_ROWS rows and at least a quarter of what ``contact``
# holds, as the rebuild sorts every row of it. (On PostgreSQL dropping them would lock
# the table against the bot's readers until the commit.)
KEY_INDEX = next(i for i in _CONTACT.indexes if i.name == "ix_contact_import_key")
REBUILT_INDEXES = (
    KEY_INDEX,
    next(i for i in _CONTACT.indexes if i.name == "ix_contact_resident_occurred"),
)
_REBUILD_FROM_ROWS = 20_000
_REBUILD_SHARE = 4


# What the insert makes of a time staged as microseconds since the year 1 (UTC).
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
    spend seconds in per-row statement parameters otherwise), COPY on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        dialect = session.get_bind().dialect
        self.dialect = dialect
        self.sqlite = dialect.name == "sqlite"
        self.copy = dialect.name == "postgresql" and dialect.driver == "asyncpg"
        self.sql = {
            table.name: f"INSERT INTO {table.name} ({', '.join(table.c.keys())})"
            f" VALUES ({', '.join('?' for _ in table.c)})"
            for table in (STAGED, STAGED_VALUES, STAGED_RESIDENTS)
        }

    async def time_mode(self) -> TimeMode:
        """How times are staged: on SQLite as microseconds when the insert turns them
        into the very text SQLAlchemy writes (queries compare stored times as text;
        checked on samples), else as that text; elsewhere as datetimes."""
        if not self.sqlite:
            return "datetime"
        column_type = STAGED.c.occurred_at.type
        stored = column_type.dialect_impl(self.dialect).bind_processor(self.dialect) or str
        samples = [stored(t) for t in _TIME_SAMPLES]
        connection = await self.session.connection()
        query = "SELECT " + _SQLITE_TEXT.format(t="?")
        made = [
            (await connection.exec_driver_sql(query, (micros(t), micros(t)))).scalar()
            for t in _TIME_SAMPLES
        ]
        if made == samples:
            return "micros"
        if [sqlite_text(t) for t in _TIME_SAMPLES] == samples:
            return "text"
        raise RuntimeError("SQLAlchemy stores times on SQLite in a way the import does not know")

    async def write(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        """Stages rows given in the order of the table's columns (times as ``time_mode``
        says)."""
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


def from_staging(mode: TimeMode) -> Any:
    """``INSERT INTO contact ... SELECT`` the staged rows, in time order (file order
    within a moment), with the times as they were staged (``mode``)."""
    values = STAGED_VALUES.c
    staged_time: Any = STAGED.c.occurred_at
    if mode == "micros":
        staged_time = literal_column(_SQLITE_TEXT.format(t=f"{STAGED.name}.occurred_at"))
    columns = {
        "occurred_at": staged_time,
        **{name: values[name] for name in _VALUE_NAMES},
        "event": literal(IMPORT_EVENT, _CONTACT.c.event.type),
        "new_or_known": STAGED.c.new_or_known,
        "resident_id": STAGED_RESIDENTS.c.resident_id,
        "import_key": STAGED.c.import_key,
    }
    rows = (
        select(*columns.values())
        .select_from(
            STAGED.join(STAGED_VALUES, values.id == STAGED.c.value_id).outerjoin(
                STAGED_RESIDENTS, STAGED_RESIDENTS.c.number == STAGED.c.resident_number
            )
        )
        .order_by(STAGED.c.occurred_at, STAGED.c.seq)
    )
    return insert(_CONTACT).from_select(list(columns), rows)


async def rebuild_pays(session: AsyncSession, adding: int) -> bool:
    """Whether building the key index anew is cheaper than adding ``adding`` keys to it."""
    if adding < _REBUILD_FROM_ROWS:
        return False
    stored = await session.scalar(select(func.count()).select_from(_CONTACT))
    return adding * _REBUILD_SHARE >= int(stored or 0)
