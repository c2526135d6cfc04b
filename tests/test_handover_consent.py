"""Warm handover shares a resident's details: consent, or a safety override with a reason."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from helpline.scripted import ScriptedChat, find_button
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import AuditEntry, Handover, Request
from tests.bot_harness import Harness, complete_intake, running_app

MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
TOM = FakeUser(id=5002, first_name="Tom")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"
REASON = "Haar partner bedreigt haar, Veilig Thuis moet vandaag meekijken"


async def start_handover(h: Harness) -> ScriptedChat:
    """Mia's request, claimed by Sanne, handed over to anyone in Wijkteam Vlijmen."""
    await complete_intake(h.chat(MIA), QUESTION)
    sanne = await h.add_staff(SANNE, "wijkteam_drunen")
    await h.add_staff(TOM, "wijkteam_vlijmen")
    await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
    await sanne.press("Overdragen")
    await sanne.press("Wijkteam Vlijmen")
    await sanne.press("Iedereen van")
    return sanne


async def handovers(db: Database) -> list[Handover]:
    async with db.session() as session:
        return list(await session.scalars(select(Handover)))


async def audit_rows(db: Database, action: str) -> list[AuditEntry]:
    async with db.session() as session:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return list(await session.scalars(query))


def vlijmen_texts(h: Harness) -> str:
    return " ".join(m.get("text", "") for m in h.telegram.sent(h.group("wijkteam_vlijmen")))


async def test_handover_asks_for_consent_before_anything_is_shared(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await start_handover(h)
        assert "toestemming" in sanne.last_text()
        find_button(h.telegram, SANNE.id, "Bewoner gaf toestemming")
        find_button(h.telegram, SANNE.id, "veiligheid is in gevaar")
        assert "Overdracht" not in vlijmen_texts(h)
        [handover] = await handovers(db)
        assert handover.status == "draft" and handover.consent_basis is None


async def test_no_note_press_without_consent_is_refused(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await start_handover(h)
        [handover] = await handovers(db)
        card = h.telegram.last_sent(SANNE.id)
        await sanne.feed(h.telegram.press(SANNE, card, f"hd:nonote:{handover.id}", queue=False))
        [handover] = await handovers(db)
        assert handover.status == "draft"
        assert "Kies eerst" in sanne.last_text()
        assert "Overdracht" not in vlijmen_texts(h)
        assert await audit_rows(db, "handover") == []


async def test_typed_text_before_the_choice_is_not_taken_as_a_note(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await start_handover(h)
        await sanne.say("Mevrouw is slechthorend")
        [handover] = await handovers(db)
        assert handover.status == "draft" and handover.note is None
        assert "Kies eerst" in sanne.last_text()
        find_button(h.telegram, SANNE.id, "Bewoner gaf toestemming")


async def test_handover_with_consent_is_stored_and_audited(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await start_handover(h)
        await sanne.press("Bewoner gaf toestemming")
        await sanne.press("Geen notitie")
        [handover] = await handovers(db)
        assert handover.status == "pending" and handover.consent_basis == "consent"
        assert handover.consent_at == h.clock.now and handover.consent_reason is None
        assert "Toestemming bewoner: ja" in vlijmen_texts(h)
        [row] = await audit_rows(db, "handover")
        assert row.actor_staff_id == 1 and row.request_id == 1 and row.resident_id == 1
        assert row.detail == (
            f"handover={handover.id} to_queue=wijkteam_vlijmen to_staff=any basis=consent"
        )
        tom = h.chat(TOM)
        await tom.press("Accepteren", chat_id=h.group("wijkteam_vlijmen"))
        [decided] = await audit_rows(db, "handover_decided")
        assert decided.actor_staff_id == 2
        assert decided.detail == f"handover={handover.id} decision=accepted"


async def test_safety_override_needs_a_typed_reason(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await start_handover(h)
        await sanne.press("veiligheid is in gevaar")
        assert "Typ kort waarom" in sanne.last_text()
        # "Geen notitie" from the earlier message must not skip the reason.
        [handover] = await handovers(db)
        message = h.telegram.last_sent(SANNE.id)
        await sanne.feed(h.telegram.press(SANNE, message, f"hd:nonote:{handover.id}", queue=False))
        assert (await handovers(db))[0].status == "draft"
        await sanne.say("ja")
        assert "minstens 10 tekens" in sanne.last_text()
        await sanne.say("x" * 1001)
        assert "te lang" in sanne.last_text()
        await sanne.say(REASON)
        assert "notitie" in sanne.last_text()
        [handover] = await handovers(db)
        assert handover.status == "draft" and handover.consent_reason == REASON
        await sanne.say("Graag vandaag bellen.")
        [handover] = await handovers(db)
        assert handover.status == "pending" and handover.consent_basis == "safety"
        assert handover.note == "Graag vandaag bellen."
        card = vlijmen_texts(h)
        assert "zonder toestemming" in card and REASON not in card
        [row] = await audit_rows(db, "handover")
        assert row.detail is not None and row.detail.endswith("basis=safety")
        assert REASON not in row.detail


async def test_no_consent_stops_the_handover(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await start_handover(h)
        await sanne.press("niet overdragen")
        assert "gestopt" in sanne.last_text()
        [handover] = await handovers(db)
        assert handover.status == "cancelled"
        async with db.session() as session:
            [request] = list(await session.scalars(select(Request)))
        assert request.claimed_by == 1 and request.queue == "wijkteam_drunen"
        assert "Overdracht" not in vlijmen_texts(h)
        # A late "consent" press on the stopped handover changes nothing.
        message = h.telegram.last_sent(SANNE.id)
        await sanne.feed(h.telegram.press(SANNE, message, f"hd:consent:{handover.id}", queue=False))
        assert (await handovers(db))[0].status == "cancelled"
        assert await audit_rows(db, "handover") == []


async def test_consent_press_by_someone_else_is_refused(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await start_handover(h)
        [handover] = await handovers(db)
        tom = h.chat(TOM)
        message = h.telegram.last_sent(SANNE.id)
        await tom.feed(h.telegram.press(TOM, message, f"hd:consent:{handover.id}", queue=False))
        assert (await handovers(db))[0].consent_basis is None
        assert h.telegram.callback_answers()[-1]["text"]
