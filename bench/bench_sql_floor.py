"""What one intake step's transaction costs at each layer of the database stack.

An intake step reads the draft, updates it and records the message id (for ``/wis``):
BEGIN IMMEDIATE, SELECT, UPDATE, INSERT, COMMIT. This runs that transaction, on the
helpline's own schema, through each layer the helpline stands on, from the bottom up:

1. ``sqlite3`` itself;
2. SQLAlchemy Core, sync (prebuilt statements);
3. the SQLAlchemy ORM, sync (a ``Session``);
4. the ORM through ``AsyncSession`` on the helpline's in-loop driver (``sqlite+inline``);
5. the same over aiosqlite (a thread hand-off per driver call), the driver before.

CPU time per transaction (best of 3), one core. A bare PTB update costs about 0.4 ms in
all (bench_throughput.py); the issue's target ratio of 0.6 leaves the helpline about
0.3 ms more than that per update, for its whole database work and logic.

Run: .venv/bin/python bench/bench_sql_floor.py [--n 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, create_engine, event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.util import await_
from sqlmodel import col

from storage.db import Database
from storage.migrate import upgrade
from storage.models import ChatMessage, IntakeDraft

CHAT = 5
SELECT_DRAFT = select(IntakeDraft).where(col(IntakeDraft.chat_id) == bindparam("chat"))
SELECT_ROW = select(IntakeDraft.__table__).where(  # type: ignore[attr-defined]
    IntakeDraft.__table__.c.chat_id == bindparam("chat")  # type: ignore[attr-defined]
)
UPDATE_STEP = (
    update(IntakeDraft.__table__)  # type: ignore[attr-defined]
    .where(IntakeDraft.__table__.c.chat_id == bindparam("chat"))  # type: ignore[attr-defined]
    .values(step=bindparam("step"), updated_at=bindparam("now"))
)
INSERT_ID = insert(ChatMessage.__table__)  # type: ignore[attr-defined]


class Counter:
    """Fresh message ids and step names, so every transaction really writes."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def best_of_three(n: int, run: Callable[[], None]) -> float:
    """CPU microseconds per call, the best of three runs of ``n`` calls."""
    for _ in range(100):
        run()
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(n):
            run()
        best = min(best, (time.process_time() - started) / n * 1e6)
    return best


async def best_of_three_async(n: int, run: Callable[[], Awaitable[None]]) -> float:
    """As ``best_of_three``, for a coroutine function."""
    for _ in range(100):
        await run()
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(n):
            await run()
        best = min(best, (time.process_time() - started) / n * 1e6)
    return best


def raw_sqlite(path: Path, ids: Counter) -> Callable[[], None]:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=NORMAL")

    def run() -> None:
        n = ids.next()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("SELECT * FROM intake_draft WHERE chat_id = ?", (CHAT,)).fetchall()
        connection.execute(
            "UPDATE intake_draft SET step = ?, updated_at = ? WHERE chat_id = ?",
            (f"s{n}", datetime.now(UTC).isoformat(" "), CHAT),
        )
        connection.execute(
            "INSERT INTO chat_message (chat_id, message_id, outgoing, sent_at) VALUES (?, ?, 0, ?)",
            (CHAT, n, datetime.now(UTC).isoformat(" ")),
        )
        connection.execute("COMMIT")

    return run


def core_sync(path: Path, ids: Counter) -> Callable[[], None]:
    engine = create_engine(f"sqlite:///{path}")

    def run() -> None:
        n, now = ids.next(), datetime.now(UTC)
        with engine.begin() as connection:
            connection.execute(SELECT_ROW, {"chat": CHAT}).all()
            connection.execute(UPDATE_STEP, {"chat": CHAT, "step": f"s{n}", "now": now})
            connection.execute(
                INSERT_ID, [{"chat_id": CHAT, "message_id": n, "outgoing": False, "sent_at": now}]
            )

    return run


def orm_sync(path: Path, ids: Counter) -> Callable[[], None]:
    engine = create_engine(f"sqlite:///{path}")

    def run() -> None:
        n, now = ids.next(), datetime.now(UTC)
        with Session(engine, expire_on_commit=False) as session, session.begin():
            draft = session.scalar(SELECT_DRAFT, {"chat": CHAT})
            assert draft is not None
            draft.step, draft.updated_at = f"s{n}", now
            session.execute(
                INSERT_ID, [{"chat_id": CHAT, "message_id": n, "outgoing": False, "sent_at": now}]
            )

    return run


def aiosqlite_engine(path: Path) -> AsyncEngine:
    """aiosqlite as the helpline used it before: one connection, BEGIN IMMEDIATE."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", pool_size=1, max_overflow=0)

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        await_(connection.connection.driver_connection.execute("BEGIN IMMEDIATE"))

    return engine


def orm_async(engine: AsyncEngine, ids: Counter) -> Callable[[], Awaitable[None]]:
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def run() -> None:
        n, now = ids.next(), datetime.now(UTC)
        async with sessions() as session, session.begin():
            draft = await session.scalar(SELECT_DRAFT, {"chat": CHAT})
            assert draft is not None
            draft.step, draft.updated_at = f"s{n}", now
            await session.execute(
                INSERT_ID, [{"chat_id": CHAT, "message_id": n, "outgoing": False, "sent_at": now}]
            )

    return run


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="transactions per run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "floor.db"
        db = Database(f"sqlite:///{path}")
        await upgrade(db)
        async with db.session() as session:
            session.add(IntakeDraft(chat_id=CHAT, user_id=CHAT, step="consent"))
        await db.dispose()
        ids = Counter()
        rows = [
            ("sqlite3 itself", best_of_three(args.n, raw_sqlite(path, ids))),
            ("SQLAlchemy Core, sync", best_of_three(args.n, core_sync(path, ids))),
            ("SQLAlchemy ORM, sync Session", best_of_three(args.n, orm_sync(path, ids))),
        ]
        helpline = Database(f"sqlite:///{path}")  # the helpline's own engine and tuning
        for name, engine in (
            ("ORM, AsyncSession, in-loop driver (helpline)", helpline.engine),
            ("ORM, AsyncSession, aiosqlite (before)", aiosqlite_engine(path)),
        ):
            rows.append((name, await best_of_three_async(args.n, orm_async(engine, ids))))
            await engine.dispose()
    print("one intake step's transaction (BEGIN, SELECT, UPDATE, INSERT, COMMIT), CPU per step:")
    for name, micros in rows:
        print(f"  {name:46s} {micros:7.1f} us")


if __name__ == "__main__":
    asyncio.run(main())
