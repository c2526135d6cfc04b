"""Storage: migrations, time zones, references and the atomic claim."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from storage import migrate
from storage import repository as repo
from storage.db import Database
from storage.migrate import pending
from storage.models import Channel, Contact, Direction, Role


async def test_migrations_leave_nothing_pending(db: Database) -> None:
    assert await pending(db) == []


async def test_the_start_up_check_knows_the_newest_migration(
    db: Database, database_url: str
) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    revisions = list(script.walk_revisions())
    assert script.get_current_head() == migrate.HEAD
    # HEAD is the file name that sorts last: the files are numbered in the chain's order.
    files = [Path(r.path).stem for r in revisions]
    assert files == sorted(files, reverse=True) and files[0] == revisions[0].revision
    assert not await migrate.upgrade_if_behind(db), "migrated already: nothing to do"
    if db.dialect != "sqlite":
        return
    new, behind = (Database(database_url.replace("helpline.db", n)) for n in ("a.db", "b.db"))
    await migrate.upgrade(behind, revisions[1].revision)
    assert await migrate.pending(behind) == [migrate.HEAD]
    for database in (new, behind):
        assert await migrate.upgrade_if_behind(database)
        assert await migrate.pending(database) == []
        await database.dispose()


def test_the_bot_loads_alembic_only_to_migrate() -> None:
    code = "import sys, helpline.app; print('alembic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


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
