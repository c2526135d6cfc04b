"""The staff directory: routing a private message costs no transaction, and stays right."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text

from helpline.staff_directory import MAX_AGE, StaffDirectory
from storage import repository as repo
from storage.db import Database
from storage.models import Role


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def count_transactions(db: Database) -> list[int]:
    """A one-item list that counts the engine's commits from now on."""
    count = [0]

    @event.listens_for(db.engine.sync_engine, "commit")
    def _commit(*_args: Any) -> None:
        count[0] += 1

    return count


async def add(db: Database, telegram_user_id: int) -> None:
    async with db.session() as session:
        await repo.add_staff(
            session=session,
            telegram_user_id=telegram_user_id,
            name=f"S{telegram_user_id}",
            role=Role.staff,
            queues=[],
        )


async def test_residents_are_answered_from_memory(db: Database) -> None:
    await add(db, 7)
    directory = StaffDirectory(db, monotonic=Clock())
    commits = count_transactions(db)
    answers = [await directory.is_staff(user) for user in (7, 10_001, 10_002, 7, 10_003)]
    assert answers == [True, False, False, True, False]
    assert commits[0] == 1, "one load for all five questions"


async def test_changes_in_this_process_count_at_once(db: Database) -> None:
    directory = StaffDirectory(db, monotonic=Clock())
    assert not await directory.is_staff(7)
    await add(db, 7)
    assert await directory.is_staff(7), "a member added a moment ago"
    async with db.session() as session:
        assert await repo.remove_staff(session=session, telegram_user_id=7)
    assert not await directory.is_staff(7), "a member removed a moment ago"


async def test_work_on_a_request_does_not_reload(db: Database) -> None:
    await add(db, 7)
    directory = StaffDirectory(db, monotonic=Clock())
    assert await directory.is_staff(7)
    commits = count_transactions(db)
    async with db.session() as session:
        staff = await repo.get_staff(session=session, telegram_user_id=7)
        assert staff is not None
        staff.name = "Anna"  # not who is staff
    assert await directory.is_staff(7)
    assert commits[0] == 1, "only the change itself, no reload"


async def test_a_rolled_back_change_is_not_counted(db: Database) -> None:
    directory = StaffDirectory(db, monotonic=Clock())
    assert not await directory.is_staff(7)
    try:
        async with db.session() as session:
            await repo.add_staff(
                session=session, telegram_user_id=7, name="S", role=Role.staff, queues=[]
            )
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    commits = count_transactions(db)
    assert not await directory.is_staff(7)
    assert commits[0] == 0, "nothing changed: no reload"


async def test_another_process_is_seen_within_max_age(db: Database) -> None:
    clock = Clock()
    directory = StaffDirectory(db, monotonic=clock)
    assert not await directory.is_staff(7)
    async with db.session() as session:  # as the CLI would, in a process of its own
        await session.execute(
            text(
                "INSERT INTO staff (telegram_user_id, name, role, active, created_at) "
                "VALUES (7, 'S', 'staff', true, CURRENT_TIMESTAMP)"
            )
        )
    clock.now += MAX_AGE / 2
    assert not await directory.is_staff(7), "still the set loaded before"
    clock.now += MAX_AGE
    assert await directory.is_staff(7)
