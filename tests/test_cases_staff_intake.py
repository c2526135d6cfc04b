"""The use cases behind ``/nieuw`` and the steps of a staff intake, called directly: no
bot, only the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from flows.conversation import CommandIn
from helpline.cases import staff_intake
from storage import repository as repo
from storage.db import Database
from storage.models import IntakeDraft, Role
from tests.test_cases_direct import services_for
from tests.test_cases_staff_admin import staff, text

WORKER, VOLUNTEER = 9302, 9303


async def test_nieuw_is_refused_to_volunteers_and_outside_a_private_chat(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    await staff(db, VOLUNTEER, Role.volunteer, ["belmaatjes"])
    await staff(db, WORKER, Role.staff, ["vrijwilligers"])
    async with db.session() as session:
        stranger = await staff_intake.start_staff_intake(session, services, 1, 1, private=True)
        volunteer = await staff_intake.start_staff_intake(
            session, services, VOLUNTEER, VOLUNTEER, private=True
        )
        group = await staff_intake.start_staff_intake(
            session, services, WORKER, -100, private=False
        )
    assert stranger == text(services, "not_staff_command")
    assert volunteer == text(services, "not_for_volunteers")
    assert group == text(services, "private_chat_only")
    async with db.session() as session:
        assert list(await session.scalars(select(IntakeDraft))) == []


async def test_a_staff_intake_is_opened_only_by_staff_and_cancelled_by_stop(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    await staff(db, WORKER, Role.staff, ["vrijwilligers"])
    async with db.session() as session:
        first = await staff_intake.start_staff_intake(
            session, services, WORKER, WORKER, private=True
        )
    assert isinstance(first, tuple) and first
    async with db.session() as session:
        row = await repo.get_draft(session=session, chat_id=WORKER)
        assert row is not None and row.flow == staff_intake.STAFF_FLOW
        # Someone else writing in that chat (a forwarded update) does not continue it.
        assert await staff_intake.open_staff_intake(session, VOLUNTEER, WORKER) is None
        opened = await staff_intake.open_staff_intake(session, WORKER, WORKER)
        assert opened is not None
        replies = await staff_intake.staff_intake_step(session, services, opened, CommandIn("stop"))
    assert [r.text for r in replies] == [text(services, "pi_cancelled")]
    async with db.session() as session:
        assert await repo.get_draft(session=session, chat_id=WORKER) is None
