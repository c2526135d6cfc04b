"""A resident's data rights as use cases, called directly: no bot, only the database.

What /mijngegevens, /vergeetmij and the approval card's buttons decide: who is refused,
what the export holds and that it is audited, when an erasure happens at once and when
it waits for a coordinator, and who may decide it.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from helpline.cases import data_rights, erasure
from helpline.cases.core import Services
from storage import repository as repo
from storage.db import Database
from storage.models import AuditAction, AuditEntry, ErasureRequest, Outbox, Resident, Role
from tests.test_cases_direct import services_for

MIA = data_rights.Asker(user_id=4301, chat_id=4301, private=True, language_code="nl")
COORDINATOR, VOLUNTEER = 5301, 5302


async def resident_with_request(db: Database, services: Services, *, open_: bool) -> int:
    """Mia and one request of hers (open, or already resolved); returns her resident id."""
    async with db.session() as session:
        await repo.upsert_telegram_resident(
            session=session,
            telegram_user_id=MIA.user_id,
            chat_id=MIA.chat_id,
            first_name="Mia",
            language="nl",
        )
        resident = await repo.get_resident_by_telegram_id(
            session=session, telegram_user_id=MIA.user_id
        )
        assert resident is not None and resident.id is not None
        await repo.create_request(
            session=session,
            prefix="HH",
            resident_id=resident.id,
            category="formulieren",
            queue="wijkteam_drunen",
            status="open" if open_ else "resolved",
            created_at=services.clock(),
        )
        for telegram_id, role in ((COORDINATOR, Role.coordinator), (VOLUNTEER, Role.volunteer)):
            await repo.add_staff(
                session=session, telegram_user_id=telegram_id, name="Carla", role=role, queues=[]
            )
        return resident.id


async def audits(db: Database, action: AuditAction) -> list[AuditEntry]:
    async with db.session() as session:
        query = select(AuditEntry).where(AuditEntry.action == action)  # type: ignore[arg-type]
        return list(await session.scalars(query))


async def test_my_data_goes_to_a_private_chat_only_and_is_audited(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    resident_id = await resident_with_request(db, services, open_=False)
    in_group = data_rights.Asker(MIA.user_id, -100, private=False, language_code="en")
    async with db.session() as session:
        refused = await data_rights.my_data(session, services, in_group)
    assert refused == services.texts("pv_private_only", "en")
    assert await audits(db, AuditAction.privacy_export) == []

    async with db.session() as session:
        export = await data_rights.my_data(session, services, MIA)
    assert isinstance(export, data_rights.DataExport)
    assert export.messages and export.caption == services.texts("pv_export_caption", "nl")
    assert json.loads(export.document)["resident_id"] == resident_id
    [audit] = await audits(db, AuditAction.privacy_export)
    assert audit.resident_id == resident_id and audit.actor_staff_id is None


async def test_staff_and_strangers_are_told_and_nothing_is_written(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    await resident_with_request(db, services, open_=True)
    stranger = data_rights.Asker(4399, 4399, private=True, language_code="en-GB")
    staff = data_rights.Asker(VOLUNTEER, VOLUNTEER, private=True, language_code="nl")
    async with db.session() as session:
        assert await data_rights.my_data(session, services, stranger) == services.texts(
            "pv_nothing_stored", "en"
        )
        assert await data_rights.ask_forget(session, services, staff) == services.texts(
            "pv_staff_not_resident", services.staff_language
        )
        pressed = await data_rights.answer_forget(session, services, staff, confirmed=True)
    assert pressed.resident is False and pressed.erased is False
    assert await audits(db, AuditAction.privacy_export) == []
    assert await audits(db, AuditAction.privacy_erase) == []


async def test_forget_without_open_requests_erases_at_once(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    resident_id = await resident_with_request(db, services, open_=False)
    async with db.session() as session:
        asked = await data_rights.ask_forget(session, services, MIA)
        kept = await data_rights.answer_forget(session, services, MIA, confirmed=False)
    assert isinstance(asked, tuple)
    assert [b.data for row in asked[1] for b in row] == ["pv:forget:yes", "pv:forget:no"]
    assert kept == data_rights.ForgetAnswer(services.texts("pv_forget_kept", "nl"))
    assert await audits(db, AuditAction.privacy_erase) == []

    async with db.session() as session:
        answer = await data_rights.answer_forget(session, services, MIA, confirmed=True)
    assert answer.erased and answer.text == services.texts("pv_erased", "nl")
    async with db.session() as session:
        resident = await session.get(Resident, resident_id)
        assert resident is not None and resident.telegram_user_id is None
        again = await data_rights.answer_forget(session, services, MIA, confirmed=True)
    assert again == data_rights.ForgetAnswer(services.texts("pv_nothing_stored", "nl"))
    assert len(await audits(db, AuditAction.privacy_erase)) == 1


async def test_open_requests_wait_for_a_coordinator_who_decides_once(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    resident_id = await resident_with_request(db, services, open_=True)
    async with db.session() as session:
        asked = await data_rights.ask_forget(session, services, MIA)
        answer = await data_rights.answer_forget(session, services, MIA, confirmed=True)
    assert isinstance(asked, tuple) and "HH-" in asked[0]
    assert not answer.erased
    assert answer.text == services.texts("pv_erase_needs_approval", "nl")
    async with db.session() as session:
        [row] = list(await session.scalars(select(ErasureRequest)))
        [card] = list(await session.scalars(select(Outbox).where(Outbox.purpose == "erasure")))  # type: ignore[arg-type]
    assert row.resident_id == resident_id and f"pv:approve:{row.id}" in (card.reply_markup or "")
    assert row.id is not None

    async with db.session() as session:
        volunteer = await erasure.press_on_card(session, services, VOLUNTEER, row.id, approve=True)
    assert volunteer.popup == services.texts("pv_not_coordinator", services.staff_language)
    async with db.session() as session:
        press = await erasure.press_on_card(session, services, COORDINATOR, row.id, approve=True)
    assert press.popup is None and press.decision.approved
    assert press.line == services.texts("pv_approved_by", services.staff_language, staff="Carla")
    assert press.decision.chat_id == MIA.chat_id
    async with db.session() as session:
        late = await erasure.press_on_card(session, services, COORDINATOR, row.id, approve=False)
        resident = await session.get(Resident, resident_id)
    assert late.popup == services.texts("pv_already_decided", services.staff_language)
    assert resident is not None and resident.telegram_user_id is None
