"""Audit log: append-only rows (repository and database triggers), listing by period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlmodel import col

from storage import repository as repo
from storage.db import Database
from storage.models import AuditAction, AuditEntry, Role
from storage.repository.audit import audit_entries, record_audit

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


async def _staff(db: Database) -> int:
    async with db.session() as session:
        staff = await repo.add_staff(
            session=session, telegram_user_id=501, name="Sanne", role=Role.coordinator, queues=[]
        )
        assert staff.id is not None
        return staff.id


async def test_record_audit_appends_a_row(db: Database) -> None:
    staff_id = await _staff(db)
    async with db.session() as session:
        await record_audit(
            session=session,
            actor_staff_id=staff_id,
            action=AuditAction.view_details,
            request_id=7,
            resident_id=3,
            detail="via=claim",
            now=NOW,
        )
    async with db.session() as session:
        rows = await audit_entries(session=session, start=NOW, end=NOW + timedelta(seconds=1))
    assert [
        (e.action, e.request_id, e.resident_id, e.detail, s and s.name) for e, s, _ in rows
    ] == [("view_details", 7, 3, "via=claim", "Sanne")]
    assert rows[0][0].occurred_at == NOW


async def test_audit_entries_by_period_oldest_first(db: Database) -> None:
    async with db.session() as session:
        for hours in (5, 1, 3, 30):
            await record_audit(
                session=session,
                actor_staff_id=None,
                action=AuditAction.export,
                detail=f"h={hours}",
                now=NOW + timedelta(hours=hours),
            )
    async with db.session() as session:
        rows = await audit_entries(session=session, start=NOW, end=NOW + timedelta(hours=24))
    assert [e.detail for e, _, _ in rows] == ["h=1", "h=3", "h=5"]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET detail = 'changed'", "DELETE FROM audit_log"],
)
async def test_database_refuses_to_change_audit_rows(db: Database, statement: str) -> None:
    async with db.session() as session:
        await record_audit(session=session, actor_staff_id=None, action="export", now=NOW)
    with pytest.raises(Exception, match="append-only"):
        async with db.session() as session:
            await session.execute(text(statement))
    async with db.session() as session:
        rows = await audit_entries(session=session, start=NOW, end=NOW + timedelta(seconds=1))
    assert [e.detail for e, _, _ in rows] == [None]


async def test_orm_update_of_an_audit_row_is_refused(db: Database) -> None:
    async with db.session() as session:
        await record_audit(session=session, actor_staff_id=None, action="export", now=NOW)
    async with db.session() as session:
        entry_id = await session.scalar(select(col(AuditEntry.id)))
    with pytest.raises(Exception, match="append-only"):
        async with db.session() as session:
            stored = await session.get(AuditEntry, entry_id)
            assert stored is not None
            stored.detail = "rewritten"
            await session.flush()


def test_audit_repository_offers_no_update_or_delete() -> None:
    import storage.repository.audit as module

    public = {name for name in dir(module) if not name.startswith("_")}
    assert not {n for n in public if any(w in n for w in ("update", "delete", "remove", "erase"))}


async def test_detail_is_capped(db: Database) -> None:
    async with db.session() as session:
        await record_audit(
            session=session, actor_staff_id=None, action="export", detail="x" * 1000, now=NOW
        )
    async with db.session() as session:
        detail = await session.scalar(select(col(AuditEntry.detail)))
    assert detail is not None and len(detail) == 400
