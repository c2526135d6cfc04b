"""Every SQL statement a ``Database`` runs, for tests and benchmarks that count them.

SQLAlchemy's cursor events do not see the hot path's statements on SQLite
(``storage.direct`` runs them on the ``sqlite3`` connection itself), so on SQLite the
driver's own trace is used: it sees each statement, ``BEGIN`` and ``COMMIT`` included.
On PostgreSQL the engine's events give the same: each statement, and ``COMMIT``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from storage.db import Database


async def trace_statements(db: Database, record: Callable[[str], None]) -> None:
    """Calls ``record`` with the text of every statement ``db`` runs from now on.

    On SQLite the idle pooled connections are closed first (the trace is set on each new
    one), so call this while no session is open.
    """
    engine = db.engine.sync_engine
    if db.dialect == "sqlite":
        await db.engine.dispose()

        @event.listens_for(engine, "connect")
        def _trace(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.set_trace_callback(record)

        return

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        record(statement)

    @event.listens_for(engine, "commit")
    def _commit(*_: Any) -> None:
        record("COMMIT")
