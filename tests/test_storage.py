"""Storage: migrations, time zones, references and the atomic claim."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage import repository as repo
from storage.db import Database
from storage.migrate import pending
from storage.models import Channel, Contact, Direction, Role


async def test_migrations_leave_nothing_pending(db: Database) -> None:
    assert await pending(db) == []


async def test_times_come_back_aware_in_utc(db: Database) -> None:
    amsterdam = timezone(timedelta(hours=1))
    when = datetime(2026, 3, 29, 1, 30, tzinfo=amsterdam)
    async with db.session() as session:
        contact = await repo.log_contact(
            session=session,
            occurred_at=when,
            channel=Channel.phone,
            direction=Direction.inbound,
            kind="hulpvraag",
            event="call",
        )
    contact_id = contact.id  # given by the commit's flush
    async with db.session() as session:
        stored = await session.get(Contact, contact_id)
        assert stored is not None
        assert stored.occurred_at.tzinfo is not None
        assert stored.occurred_at.utcoffset() == timedelta(0)
        assert stored.occurred_at == when


async def test_naive_datetime_is_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive"):
        async with db.session() as session:
            await repo.log_contact(
                session=session,
                occurred_at=datetime(2026, 1, 1),
                channel=Channel.phone,
                direction=Direction.inbound,
                kind="hulpvraag",
                event="call",
            )


async def test_references_count_up_per_year(db: Database) -> None:
    async with db.session() as session:
        first = await repo.next_reference(session=session, prefix="HH", year=2026)
        second = await repo.next_reference(session=session, prefix="HH", year=2026)
        other = await repo.next_reference(session=session, prefix="HH", year=2027)
    assert (first, second, other) == ("HH-2026-00001", "HH-2026-00002", "HH-2027-00001")


async def _make_request(db: Database) -> int:
    async with db.session() as session:
        request = await repo.create_request(
            session=session,
            prefix="HH",
            category="boodschappen",
            queue="vrijwilligers",
            created_at=datetime(2026, 5, 1, tzinfo=UTC),
        )
        assert request.id is not None
        return request.id


async def test_twenty_staff_claiming_at_once_gives_one_winner(db: Database) -> None:
    async with db.session() as session:
        staff_ids = []
        for n in range(20):
            member = await repo.add_staff(
                session=session,
                telegram_user_id=1000 + n,
                name=f"Staff {n}",
                role=Role.staff,
                queues=["vrijwilligers"],
            )
            staff_ids.append(member.id)
    request_id = await _make_request(db)

    async def claim(staff_id: int) -> bool:
        async with db.session() as session:
            return await repo.claim_request(
                session=session,
                request_id=request_id,
                staff_id=staff_id,
                now=datetime.now(UTC),
            )

    results = await asyncio.gather(*(claim(s) for s in staff_ids))
    assert sum(results) == 1
    async with db.session() as session:
        request = await repo.get_request(session=session, request_id=request_id)
        assert request is not None
        assert request.claimed_by == staff_ids[results.index(True)]


async def test_staff_add_list_remove(db: Database) -> None:
    async with db.session() as session:
        await repo.add_staff(
            session=session,
            telegram_user_id=42,
            name="Anna",
            role=Role.volunteer,
            queues=["belmaatjes", "belmaatjes", "vrijwilligers"],
        )
    async with db.session() as session:
        with pytest.raises(repo.StaffExistsError):
            await repo.add_staff(
                session=session, telegram_user_id=42, name="Anna", role=Role.staff, queues=[]
            )
    async with db.session() as session:
        listed = await repo.list_staff(session=session)
        assert [(s.name, q) for s, q in listed] == [("Anna", ["belmaatjes", "vrijwilligers"])]
        assert await repo.remove_staff(session=session, telegram_user_id=42)
        assert not await repo.remove_staff(session=session, telegram_user_id=42)
    async with db.session() as session:
        assert await repo.list_staff(session=session) == []


async def test_outbox_rows_are_claimed_once(db: Database) -> None:
    now = datetime.now(UTC) + timedelta(seconds=1)
    async with db.session() as session:
        for n in range(5):
            await repo.enqueue(session=session, chat_id=-100, text=f"m{n}", purpose="card", now=now)
    async with db.session() as session:
        first = await repo.claim_due(session=session, now=now, limit=3)
    async with db.session() as session:
        second = await repo.claim_due(session=session, now=now, limit=10)
    assert len(first) == 3 and len(second) == 2
    assert not {r.id for r in first} & {r.id for r in second}
    async with db.session() as session:
        assert await repo.claim_due(session=session, now=now) == []
        # A sender that died: after the lease the row is due again.
        later = await repo.claim_due(session=session, now=now + timedelta(minutes=5))
    assert len(later) == 5


async def test_migrations_match_the_models(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    def diff(connection):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

    async with db.engine.connect() as connection:
        assert await connection.run_sync(diff) == []
