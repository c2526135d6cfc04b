"""Prepared statements (``storage.direct``): the same rows, types, errors and transaction
as ``session.execute``, on SQLite (the driver itself) and PostgreSQL (the session)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, exc, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import Database
from storage.direct import Prepared
from storage.models import Request, RequestStatus, Staff
from storage.readonly import read_sessions
from storage.repository import hot

NOW = datetime(2026, 5, 4, 9, 30, 0, 250, tzinfo=UTC)

_ADD = Prepared(
    insert(Request).returning(col(Request.id), col(Request.status), col(Request.created_at))
)
_OF_STATUS = Prepared(
    select(col(Request.reference)).where(col(Request.status) == bindparam("status"))
)


def new(reference: str) -> dict[str, Any]:
    """Every column of a new request (a prepared statement fills in no defaults)."""
    fields = {"reference": reference, "category": "formulieren", "queue": "wijkteam_drunen"}
    return hot.row_values(Request, fields | {"created_at": NOW, "status": RequestStatus.open})


async def test_types_are_converted_both_ways_as_the_orm_does(db: Database) -> None:
    async with db.session() as session:
        (request_id, status, created_at), *rest = await _ADD.rows(session, new("HH-1"))
        assert rest == []
        assert (status, created_at) == (RequestStatus.open, NOW)  # an enum, an aware time
        assert await _OF_STATUS.rows(session, {"status": RequestStatus.open}) == [("HH-1",)]
        assert await _OF_STATUS.first(session, {"status": RequestStatus.resolved}) is None
    async with db.session() as session:
        stored = await session.get(Request, request_id)
    assert stored is not None and stored.created_at == NOW and stored.status == "open"


async def test_it_runs_in_the_sessions_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await _ADD.rows(session, new("HH-1"))
            raise RuntimeError("rolled back")
    async with AsyncSession(db.engine) as session:
        assert await _OF_STATUS.rows(session, {"status": RequestStatus.open}) == []
        await session.commit()
        # One session, three transactions: each finds its own connection.
        await _ADD.rows(session, new("HH-2"))
        await session.commit()
        await _ADD.rows(session, new("HH-3"))
        await session.commit()
    async with db.session() as session:
        found = await _OF_STATUS.rows(session, {"status": RequestStatus.open})
    assert sorted(found) == [("HH-2",), ("HH-3",)]


async def test_objects_added_to_the_session_are_written_first(db: Database) -> None:
    staff_ids = Prepared(select(col(Staff.id)).where(col(Staff.name) == bindparam("name")))
    async with db.session() as session:
        session.add(Staff(telegram_user_id=1, name="Sanne", role="staff"))
        assert await staff_ids.first(session, {"name": "Sanne"}) is not None


async def test_a_driver_error_is_sqlalchemys_error(db: Database) -> None:
    with pytest.raises(exc.IntegrityError):  # reference is unique
        async with db.session() as session:
            await _ADD.rows(session, new("HH-1"))
            await _ADD.rows(session, new("HH-1"))


async def test_many_runs_once_per_parameter_set(db: Database) -> None:
    stamp = Prepared(
        update(Request)
        .where(col(Request.reference) == bindparam("ref"))
        .values(summary=bindparam("summary"))
        .execution_options(synchronize_session=False)
    )
    async with db.session() as session:
        for reference in ("HH-1", "HH-2"):
            await _ADD.rows(session, new(reference))
        await stamp.many(
            session, [{"ref": "HH-1", "summary": "a"}, {"ref": "HH-2", "summary": "b"}]
        )
        await stamp.many(session, [])
        rows = await session.execute(text("SELECT reference, summary FROM request ORDER BY id"))
        assert [tuple(r) for r in rows] == [("HH-1", "a"), ("HH-2", "b")]


async def test_a_missing_parameter_or_an_in_list_is_refused(db: Database) -> None:
    in_list = Prepared(select(col(Request.id)).where(col(Request.id).in_([1, 2])))
    async with db.session() as session:
        with pytest.raises((TypeError, exc.StatementError)):
            await _OF_STATUS.rows(session, {})
        if db.dialect == "sqlite":  # PostgreSQL runs these through the session as they are
            with pytest.raises(TypeError, match="IN list"):
                await in_list.rows(session, {})
            defaulted = {k: v for k, v in new("HH-1").items() if k != "channel"}
            with pytest.raises(TypeError, match="channel"):
                await _ADD.rows(session, defaulted)


async def test_a_read_only_report_session_reads_through_its_own_driver(db: Database) -> None:
    async with db.session() as session:
        await _ADD.rows(session, new("HH-1"))
    async with read_sessions(db) as sessions:
        for session in sessions:
            assert await _OF_STATUS.rows(session, {"status": RequestStatus.open}) == [("HH-1",)]
