"""The hot path's statements run on the ``sqlite3`` connection itself, in the session's
transaction.

SQLAlchemy Core costs about ten times what ``sqlite3`` does for the bot's small
statements (``bench/bench_sql_floor.py``): a result object, an execution context and,
through ``AsyncSession``, a greenlet switch per call. A ``Prepared`` statement is an
ordinary Core statement, compiled once per dialect; on SQLite it then runs on the
driver connection of the session's transaction (on the event loop, as all our SQLite
statements do: ``storage.sqlite_inline``), with the column types' own conversions on
the way in and out, so it reads and writes exactly what ``session.execute`` would.

On PostgreSQL, where the network round trip dominates, and on SQLite read through
another driver (``storage.readonly``), it runs as Core on the session's connection
(``AsyncConnection.execute``): the same semantics, the same rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import event, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from storage import sqlite_inline

Row = tuple[Any, ...]
Convert = Callable[[Any], Any] | None

_CURSOR_KEY = "direct.cursor"  # the transaction's sqlite3 cursor, in session.info


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A statement's SQL for one dialect and set of parameter names, with conversions.

    ``slots`` follow the placeholders: a parameter's name and its type's conversion,
    or (None, the value already converted) for a value written into the statement.
    """

    sql: str
    slots: tuple[tuple[str | None, Any], ...]
    results: tuple[Convert, ...]


class Prepared:
    """A Core statement compiled once, run on the driver connection (SQLite).

    Parameters are given by name, as to ``session.execute``; rows come back as tuples
    of the statement's columns (a select's, or those of its ``RETURNING``).
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._returns_rows = bool(getattr(statement, "exported_columns", ()))
        self._compiled: dict[tuple[str, frozenset[str]], _Compiled] = {}

    async def rows(self, session: AsyncSession, params: Mapping[str, Any]) -> list[Row]:
        """Runs the statement once; its rows (empty for a statement without any)."""
        cursor, dialect = await _sqlite_cursor(session)
        if cursor is None:
            connection = await session.connection()
            result = await connection.execute(self.statement, dict(params))
            return [tuple(row) for row in result] if self._returns_rows else []
        compiled = self._form(dialect, params.keys())
        arguments = _arguments(compiled, params)
        try:
            cursor.execute(compiled.sql, arguments)
        except sqlite3.Error as error:
            raise _wrapped(compiled, arguments, error) from error
        if not compiled.results:
            return []
        return [_converted(compiled.results, row) for row in cursor.fetchall()]

    async def first(self, session: AsyncSession, params: Mapping[str, Any]) -> Row | None:
        """The first row, or None."""
        found = await self.rows(session, params)
        return found[0] if found else None

    async def many(self, session: AsyncSession, params: Sequence[Mapping[str, Any]]) -> None:
        """Runs a statement without rows once for each parameter set (one ``executemany``)."""
        if not params:
            return
        cursor, dialect = await _sqlite_cursor(session)
        if cursor is None:
            connection = await session.connection()
            await connection.execute(self.statement, [dict(p) for p in params])
            return
        compiled = self._form(dialect, params[0].keys())
        arguments = [_arguments(compiled, p) for p in params]
        try:
            cursor.executemany(compiled.sql, arguments)
        except sqlite3.Error as error:
            raise _wrapped(compiled, arguments, error) from error

    def _form(self, dialect: Dialect, keys: Any) -> _Compiled:
        key = (dialect.name, frozenset(keys))
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = _compile(self.statement, dialect, sorted(keys))
        return found


def _compile(statement: Executable, dialect: Dialect, keys: list[str]) -> _Compiled:
    assert isinstance(statement, ClauseElement)
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=keys))
    if "POSTCOMPILE" in compiled.string:
        raise TypeError("a prepared statement cannot hold an IN list; use OR")
    # Python-side column defaults are filled in by SQLAlchemy's execution, not here.
    defaulted = {c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)}
    slots: list[tuple[str | None, Any]] = []
    for name in compiled.positiontup or ():
        bind = compiled.binds[name]
        convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if name in keys:
            slots.append((name, convert))
        elif bind.required or name in defaulted:
            raise TypeError(f"no value for the parameter {name!r}")
        else:
            value = bind.effective_value
            slots.append((None, convert(value) if convert is not None else value))
    columns = getattr(statement, "exported_columns", ())
    results = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
    )
    return _Compiled(compiled.string, tuple(slots), results)


def _wrapped(compiled: _Compiled, arguments: Any, error: sqlite3.Error) -> Exception:
    """SQLAlchemy's exception for a driver error (``IntegrityError`` and so on), as
    ``session.execute`` raises it, so callers catch one kind whichever way ran."""
    return exc.DBAPIError.instance(compiled.sql, arguments, error, sqlite3.Error)


def _arguments(compiled: _Compiled, params: Mapping[str, Any]) -> tuple[Any, ...]:
    values = []
    for name, convert in compiled.slots:
        if name is None:
            values.append(convert)  # a fixed value, converted once
        else:
            value = params[name]
            values.append(convert(value) if convert is not None else value)
    return tuple(values)


def _converted(results: tuple[Convert, ...], row: Row) -> Row:
    return tuple(
        convert(value) if convert is not None else value
        for convert, value in zip(results, row, strict=True)
    )


async def _sqlite_cursor(session: AsyncSession) -> tuple[sqlite3.Cursor | None, Dialect]:
    """A cursor on the ``sqlite3`` connection of the session's transaction (begun if need
    be) and the dialect; (None, dialect) on another database. Objects the session has
    yet to write are flushed first, as ``session.execute`` would before a statement.

    A plain cursor, not the connection's own (``sqlite_inline.InlineCursor``, which
    waits for another process's lock on a thread): the transaction began with ``BEGIN
    IMMEDIATE`` and holds the write lock, so none of its statements can find the
    database locked."""
    info = session.info
    found = info.get(_CURSOR_KEY)
    if found is None:
        dialect = session.get_bind().dialect
        if dialect.driver != sqlite_inline.DRIVER:  # PostgreSQL, or SQLite read elsewhere
            found = (None, dialect)
        else:  # one trip into SQLAlchemy's greenlet for the connection and its driver
            found = (sqlite3.Cursor(await session.run_sync(_driver_connection)), dialect)
        info[_CURSOR_KEY] = found
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return found


def _driver_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


@event.listens_for(Session, "after_transaction_end")
def _forget_driver(session: Session, _transaction: Any) -> None:
    # The next transaction may get another connection from the pool.
    session.info.pop(_CURSOR_KEY, None)
