"""The staff and setup use cases behind ``/staf``, the setup code and ``/koppel``, called
directly: no bot, only the database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from flows.permissions import Role as FlowRole
from flows.staff_admin import StaffCommand
from helpline.cases import setup, staff_admin
from helpline.cases.access import Actor, actor_for
from helpline.cases.core import Services
from helpline.first_run import code_hash
from storage import repository as repo
from storage.db import Database
from storage.models import AuditEntry, Role
from tests.test_cases_direct import services_for

COORDINATOR, ADMIN, NEWCOMER, GROUP = 9201, 9202, 9203, -100777
CODE = "ABCD-EFGH-JKLM"


async def staff(db: Database, user_id: int, role: Role, queues: list[str]) -> Actor:
    async with db.session() as session:
        await repo.add_staff(
            session=session, telegram_user_id=user_id, name=f"Staf {user_id}", role=role,
            queues=queues,
        )  # fmt: skip
        found = await actor_for(session, user_id)
    assert found is not None
    return found


async def audit_rows(db: Database) -> list[AuditEntry]:
    async with db.session() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def text(services: Services, key: str, **values: object) -> str:
    return services.texts(key, services.staff_language, **values)


async def test_a_coordinator_adds_staff_but_makes_no_admin(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    lead = await staff(db, COORDINATOR, Role.coordinator, ["coordinatie"])
    as_admin = StaffCommand("add", NEWCOMER, FlowRole.admin, ("coordinatie",), "Nina")
    async with db.session() as session:
        reply = await staff_admin.manage_staff(session, services, lead, as_admin)
    assert reply == text(services, "not_allowed")
    as_staff = StaffCommand("add", NEWCOMER, FlowRole.staff, ("vrijwilligers",), "Nina")
    async with db.session() as session:
        reply = await staff_admin.manage_staff(session, services, lead, as_staff)
        added = await repo.get_staff(session=session, telegram_user_id=NEWCOMER)
    assert reply == "✓ Nina (staff) · vrijwilligers"
    assert added is not None and added.role == Role.staff
    [row] = await audit_rows(db)
    assert (row.actor_staff_id, row.action) == (lead.id, "role_add")
    assert row.detail == f"staff={added.id} role=staff queues=vrijwilligers"
    async with db.session() as session:
        again = await staff_admin.manage_staff(session, services, lead, as_staff)
    assert again == text(services, "staf_exists", telegram_id=NEWCOMER)
    assert len(await audit_rows(db)) == 1, "a refused add is not audited"


async def test_queues_are_set_and_a_removal_is_audited_once(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    lead = await staff(db, COORDINATOR, Role.coordinator, ["coordinatie"])
    other = await staff(db, NEWCOMER, Role.volunteer, ["belmaatjes"])
    async with db.session() as session:
        reply = await staff_admin.manage_staff(
            session, services, lead, StaffCommand("queues", NEWCOMER, queues=("aanbod",))
        )
        assert await repo.staff_queues(session=session, staff_id=other.id) == ["aanbod"]
    assert reply.endswith("· aanbod")
    remove = StaffCommand("remove", NEWCOMER)
    async with db.session() as session:
        assert await staff_admin.manage_staff(session, services, lead, remove) == text(
            services, "staf_removed", telegram_id=NEWCOMER
        )
    async with db.session() as session:
        assert await staff_admin.manage_staff(session, services, lead, remove) == text(
            services, "staf_not_found", telegram_id=NEWCOMER
        )
    assert [r.action for r in await audit_rows(db)] == ["role_change", "role_remove"]


async def issued_code(db: Database, services: Services) -> None:
    now = services.clock()
    async with db.session() as session:
        await repo.issue_setup_code(
            session=session, code_hash=code_hash(CODE), now=now,
            expires_at=now + timedelta(minutes=30),
        )  # fmt: skip


async def test_the_setup_code_makes_one_first_admin(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    await issued_code(db, services)
    async with db.session() as session:
        wrong = await setup.register_first_admin(session, services, ADMIN, "WXYZ-WXYZ-WXYZ", "A")
    assert wrong == text(services, "setup_code_invalid")
    async with db.session() as session:
        reply = await setup.register_first_admin(session, services, ADMIN, CODE, "Anna\nde Wit")
        admin = await repo.get_staff(session=session, telegram_user_id=ADMIN)
    assert reply == text(services, "setup_admin_done", queue=services.config.crisis_queue)
    assert admin is not None and (admin.name, admin.role) == ("Anna de Wit", Role.admin)
    [row] = await audit_rows(db)
    assert (row.actor_staff_id, row.action) == (admin.id, "role_add")
    async with db.session() as session:
        later = await setup.register_first_admin(session, services, NEWCOMER, CODE, "Eve")
    assert later is None, "with an admin, /start with a code is an ordinary /start"


async def test_koppel_asks_who_first_then_links_and_audits(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    services.settings.queue_chats = {}
    async with db.session() as session:
        outsider = await setup.link_queue(
            session, services, NEWCOMER, GROUP, in_group=False, args=["aanbod"]
        )
    assert outsider == setup.QueueLink(text(services, "not_staff_command"))
    await staff(db, COORDINATOR, Role.coordinator, ["coordinatie"])
    async with db.session() as session:
        private = await setup.link_queue(
            session, services, COORDINATOR, GROUP, in_group=False, args=["aanbod"]
        )
        unknown = await setup.link_queue(
            session, services, COORDINATOR, GROUP, in_group=True, args=["x" * 60]
        )
    assert private.text == text(services, "koppel_private") and not private.linked
    assert unknown.text.startswith(text(services, "koppel_unknown", queue="x" * 40, queues="")[:20])
    assert "x" * 41 not in unknown.text and not unknown.linked
    assert await audit_rows(db) == []
    async with db.session() as session:
        done = await setup.link_queue(
            session, services, COORDINATOR, GROUP, in_group=True, args=["AANBOD"]
        )
    assert done.linked
    async with db.session() as session:
        assert (await repo.linked_queue_chats(session=session))["aanbod"] == GROUP
    [row] = await audit_rows(db)
    assert (row.action, row.detail) == ("queue_link", f"queue=aanbod chat={GROUP}")
    summary = await setup.link_summary(services)
    assert summary.startswith(text(services, "koppel_todo", queues="", fallback="")[:10])
