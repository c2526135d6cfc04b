"""Residents' rights in Telegram: consent, /mijngegevens, /vergeetmij, coordinator approval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import SQLModel

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import (
    AuditEntry,
    ChatMessage,
    Contact,
    ErasureRequest,
    Escalation,
    IntakeDraft,
    Outbox,
    Request,
    RequestNote,
    Resident,
    Role,
)
from tests.bot_harness import Harness, complete_intake, running_app

MIA = FakeUser(id=4101, first_name="Mia")
COORD = FakeUser(id=5101, first_name="Carla")
SANNE = FakeUser(id=5102, first_name="Sanne")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"


async def counts(db: Database) -> dict[str, int]:
    """Rows per table, every table."""
    async with db.session() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in SQLModel.metadata.sorted_tables
        }


async def rows(db: Database, model: type[Any]) -> list[Any]:
    async with db.session() as session:
        return list(await session.scalars(select(model)))


async def press_data(h: Harness, user: FakeUser, chat_id: int, data: str) -> None:
    """Presses (again) a button with ``data`` on the newest bot message in the chat."""
    message = h.telegram.last_sent(chat_id)
    await h.chat(user).feed(h.telegram.press(user, message, data, queue=False))


def texts_to(h: Harness, chat_id: int) -> str:
    return "\n".join(str(m.get("text") or m.get("caption") or "") for m in h.telegram.sent(chat_id))


async def test_declining_consent_stores_nothing_and_gives_the_numbers(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        before = await counts(db)
        mia = h.chat(MIA)
        await mia.say("/start")
        await mia.say(QUESTION)  # typed before consent: only the buttons are asked again
        await mia.press("Nee")
        reply = mia.last_text()
        for number in ("112", "113", "0800-0113", "0800-2000", "0416 - 123 456"):
            assert number in reply
        after = await counts(db)
        # chat_message keeps only message ids of this chat for 48 hours, so /wis (quick
        # exit) can still delete the conversation from the phone: no text, no name.
        assert after.pop("chat_message") >= 0 and before.pop("chat_message") == 0
        assert after == before  # not one row more in any other table
        await mia.say("/mijngegevens")  # message ids for /wis are not a record about her
        assert "Wij bewaren niets over u" in mia.last_text()


async def test_consent_is_stamped_before_the_question_is_stored(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        [draft] = await rows(db, IntakeDraft)
        assert draft.consent_at is None and draft.question is None
        await mia.press("akkoord")
        [draft] = await rows(db, IntakeDraft)
        version = h.services.config.organisation.privacy_version
        assert (draft.consent_at, draft.consent_version) == (h.clock(), version)
        assert draft.question is None
        await mia.say(QUESTION)
        [draft] = await rows(db, IntakeDraft)
        assert draft.question == QUESTION
        await complete_intake_rest(mia)
        [request] = await rows(db, Request)
        assert (request.consent_at, request.consent_version) == (h.clock(), version)


async def complete_intake_rest(mia: Any) -> None:
    await mia.press("Ja")
    await mia.press("Drunen")
    await mia.share_contact("0612345678")
    await mia.press("Ochtend")
    await mia.press("Versturen")


async def test_mijngegevens_sends_readable_text_and_json(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        await mia.say("Ik heb ook nog een vraag over toeslagen")
        sent_before = len(h.telegram.sent(MIA.id))
        await mia.say("/mijngegevens")
        new = h.telegram.sent(MIA.id)[sent_before:]
        text = "\n".join(str(m.get("text") or "") for m in new)
        for part in ("HH-2026-00001", QUESTION, "toeslagen", "06 12345678", "Mia", "Drunen"):
            assert part in text
        [document] = [m for m in new if m.get("document")]
        assert document["filename"] == "mijngegevens.json"
        export = json.loads(document["content"])
        assert export["tables"]["request"][0]["summary"] == QUESTION
        assert export["tables"]["resident"][0]["phone"] == "+31612345678"
        assert len(export["tables"]["contact"]) == 2
        [audit] = [a for a in await rows(db, AuditEntry) if a.action == "privacy_export"]
        assert audit.resident_id == export["resident_id"]


async def test_strangers_get_nothing_and_leave_nothing(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        before = await counts(db)
        mia = h.chat(MIA)
        await mia.say("/mijngegevens")
        assert "niets" in mia.last_text()
        await mia.say("/vergeetmij")
        assert "niets" in mia.last_text()
        after = await counts(db)
        after.pop("chat_message"), before.pop("chat_message")  # /wis message ids, see above
        assert after == before


async def test_vergeetmij_erases_after_confirmation(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        await mia.say("Nog een bericht")
        async with db.session() as session:
            request = (await session.scalars(select(Request))).one()
            request.status, request.resolved_at = "resolved", h.clock()
        await mia.say("/vergeetmij")
        assert "wissen" in mia.last_text()
        await mia.press("Nee, bewaar")
        assert "wissen niets" in mia.last_text()
        assert (await rows(db, Resident))[0].first_name == "Mia"
        await mia.say("/vergeetmij")
        confirm = h.telegram.last_sent(MIA.id)
        await mia.press("Ja, wis alles")
        assert "gewist" in mia.last_text()
        [resident] = await rows(db, Resident)
        assert resident.anonymised_at == h.clock()
        identity = (resident.first_name, resident.phone, resident.telegram_user_id)
        assert identity == (None, None, None) and resident.chat_id is None
        [request] = await rows(db, Request)
        assert request.summary is None and request.category and request.village == "drunen"
        assert await rows(db, RequestNote) == []
        contacts = await rows(db, Contact)
        assert len(contacts) == 2 and all(c.resident_id == resident.id for c in contacts)
        assert all(o.text == "" for o in await rows(db, Outbox))
        # The message ids stay (48 hours, no text) so /wis can still wipe the chat.
        assert await rows(db, ChatMessage) != []
        assert "/wis" in mia.last_text()
        assert [a.action for a in await rows(db, AuditEntry)].count("privacy_erase") == 1
        # The old confirm button, pressed again: nothing left, nothing done twice.
        await h.chat(MIA).feed(h.telegram.press(MIA, confirm, "pv:forget:yes", queue=False))
        assert "niets" in mia.last_text()
        assert [a.action for a in await rows(db, AuditEntry)].count("privacy_erase") == 1


async def test_open_request_waits_for_a_coordinator_who_approves(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        coordinator = await h.add_staff(COORD, "coordinatie", role=Role.coordinator)
        staff = await h.add_staff(SANNE, "wijkteam_drunen")
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        await mia.say("/vergeetmij")
        assert "HH-2026-00001" in mia.last_text() and "coördinator" in mia.last_text()
        await mia.press("Ja, wis alles")
        assert "doorgegeven" in mia.last_text()
        await press_data(h, MIA, MIA.id, "pv:forget:yes")  # pressed twice
        assert "ligt al" in mia.last_text()
        assert len(await rows(db, ErasureRequest)) == 1
        group = h.group(h.services.config.crisis_queue)
        card = h.telegram.last_sent(group)
        assert "HH-2026-00001" in card["text"] and "Mia" not in card["text"]
        assert QUESTION not in card["text"]
        data = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        # Staff who are not coordinators cannot decide.
        await staff.feed(h.telegram.press(SANNE, card, data, queue=False))
        assert "coördinator" in h.telegram.callback_answers()[-1]["text"]
        assert (await rows(db, Resident))[0].first_name == "Mia"
        await coordinator.press("Wissen goedkeuren", chat_id=group)
        assert "goedgekeurd door Carla" in h.telegram.last_sent(group)["text"]
        assert "gewist" in mia.last_text()
        [resident] = await rows(db, Resident)
        assert resident.anonymised_at is not None and resident.phone is None
        [request] = await rows(db, Request)
        assert request.status == "cancelled" and request.summary is None
        assert {e.status for e in await rows(db, Escalation)} <= {"cancelled", "done"}
        assert not [o for o in await rows(db, Outbox) if o.status == "pending"]
        [erasure] = await rows(db, ErasureRequest)
        assert erasure.status == "done" and erasure.decided_by is not None
        # A second press of the same card, or a forged id: already decided, nothing happens.
        await coordinator.feed(h.telegram.press(COORD, card, data, queue=False))
        assert "al besloten" in h.telegram.callback_answers()[-1]["text"]
        await coordinator.feed(h.telegram.press(COORD, card, "pv:approve:999", queue=False))
        assert "al besloten" in h.telegram.callback_answers()[-1]["text"]


async def test_coordinator_refuses_and_the_resident_hears_it(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        coordinator = await h.add_staff(COORD, "coordinatie", role=Role.coordinator)
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        await mia.say("/vergeetmij")
        await mia.press("Ja, wis alles")
        group = h.group(h.services.config.crisis_queue)
        await coordinator.press("Niet wissen", chat_id=group)
        assert "Niet gewist" in h.telegram.last_sent(group)["text"]
        assert "nog niet gewist" in mia.last_text()
        [resident] = await rows(db, Resident)
        assert resident.first_name == "Mia" and resident.anonymised_at is None
        [request] = await rows(db, Request)
        assert request.status == "open" and request.summary == QUESTION
        # Asking again makes a new request for approval.
        await mia.say("/vergeetmij")
        await mia.press("Ja, wis alles")
        assert len(await rows(db, ErasureRequest)) == 2


async def test_staff_and_groups_are_pointed_elsewhere(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        staff = await h.add_staff(SANNE, "wijkteam_drunen")
        before = await counts(db)
        await staff.say("/vergeetmij")
        assert "helpline privacy" in staff.last_text()
        await staff.say("/mijngegevens")
        assert "helpline privacy" in staff.last_text()
        group = h.group("wijkteam_drunen")
        await h.chat(MIA).feed(
            h.telegram.text(MIA, "/vergeetmij", chat_id=group, chat_type="supergroup", queue=False)
        )
        assert "privégesprek" in h.telegram.last_sent(group)["text"]
        # A resident pressing a coordinator's button (forged) is refused.
        await press_data(h, MIA, group, "pv:approve:1")
        assert "coördinator" in h.telegram.callback_answers()[-1]["text"]
        assert await counts(db) == before


async def test_vergeetmij_mid_intake_deletes_the_draft(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        await mia.press("akkoord")
        await mia.say(QUESTION)
        assert (await rows(db, IntakeDraft))[0].question == QUESTION
        await mia.say("/mijngegevens")
        [document] = [m for m in h.telegram.sent(MIA.id) if m.get("document")]
        assert json.loads(document["content"])["tables"]["intake_draft"][0]["question"] == QUESTION
        await mia.say("/vergeetmij")
        await mia.press("Ja, wis alles")
        assert "gewist" in mia.last_text()
        assert await rows(db, IntakeDraft) == [] and await rows(db, Resident) == []


async def test_a_long_history_is_capped_in_messages_not_in_the_file(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        async with db.session() as session:
            [request] = list(await session.scalars(select(Request)))
            for n in range(200):
                session.add(
                    RequestNote(request_id=request.id, author="resident", text=f"{n} " * 60)
                )
        before = len(h.telegram.sent(MIA.id))
        await mia.say("/mijngegevens")
        new = h.telegram.sent(MIA.id)[before:]
        assert len(new) == 7  # six messages and the file
        assert "te veel voor berichten" in str(new[-2]["text"])
        export = json.loads(new[-1]["content"])
        assert len(export["tables"]["request_note"]) == 200
