"""A handover is decided on its holder's claim: every step re-checks it at the moment.

A former holder cannot finish a draft (by button or typed note), record a basis for
sharing, or have a pending handover accepted once the request was released, resolved,
erased or claimed by someone else; accepting never reopens a closed request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import select

from helpline.scripted import ScriptedChat, find_button
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import AuditEntry, Handover, Request, Role
from tests.bot_harness import Harness, complete_intake, running_app

MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
TOM = FakeUser(id=5002, first_name="Tom")
KIM = FakeUser(id=5003, first_name="Kim")
CARLA = FakeUser(id=5004, first_name="Carla")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"
NOTE = "Mevrouw is slechthorend, graag langzaam praten"
REASON = "Haar partner bedreigt haar, Veilig Thuis moet vandaag meekijken"
STOPPED = "niet meer opgepakt"  # handover_not_holder
STALE = "geldt niet meer"  # handover_stale


async def draft_to_vlijmen(h: Harness) -> ScriptedChat:
    """Mia's request, claimed by Sanne, with a draft handover to anyone in Wijkteam Vlijmen."""
    await complete_intake(h.chat(MIA), QUESTION)
    sanne = await h.add_staff(SANNE, "wijkteam_drunen")
    await h.add_staff(TOM, "wijkteam_vlijmen")
    await h.add_staff(KIM, "wijkteam_drunen")
    await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
    await sanne.press("Overdragen")
    await sanne.press("Wijkteam Vlijmen")
    return sanne


async def release_and_kim_claims(h: Harness, sanne: ScriptedChat) -> None:
    """Sanne puts the request back; her colleague Kim claims it from the new card."""
    await sanne.press("Terugzetten")
    await sanne.press("Geen tijd")
    await h.chat(KIM).press("Oppakken", chat_id=h.group("wijkteam_drunen"))
    request = await the_request(h.services.db)
    assert request.status == "claimed" and request.claimed_by == 3  # Kim


async def the_request(db: Database) -> Request:
    async with db.session() as session:
        [request] = list(await session.scalars(select(Request)))
        return request


async def the_handover(db: Database) -> Handover:
    async with db.session() as session:
        [handover] = list(await session.scalars(select(Handover)))
        return handover


def vlijmen_texts(h: Harness) -> str:
    return " ".join(m.get("text", "") for m in h.telegram.sent(h.group("wijkteam_vlijmen")))


async def handover_audits(db: Database) -> list[AuditEntry]:
    async with db.session() as session:
        query = select(AuditEntry).where(AuditEntry.action == "handover")
        return list(await session.scalars(query))


async def press_old(
    h: Harness, user: FakeUser, label: str, chat_id: int | None = None
) -> dict[str, Any]:
    """Presses a button the user still sees; returns that message as it is afterwards."""
    chat = chat_id or user.id
    message, data = find_button(h.telegram, chat, label)
    await h.chat(user).feed(h.telegram.press(user, message, data, queue=False))
    return h.telegram.message(chat, message["message_id"])


def now_reads(h: Harness, message: dict[str, Any]) -> str:
    """The text of a sent message as it reads now (a pressed one is edited in place)."""
    return str(h.telegram.message(message["chat"]["id"], message["message_id"])["text"])


async def kim_still_holds_it(h: Harness) -> None:
    request = await the_request(h.services.db)
    assert (request.status, request.claimed_by, request.queue) == (
        "claimed",
        3,
        "wijkteam_drunen",
    )


# --- The draft: every step re-checks the holder ------------------------------------------


async def test_former_holder_cannot_send_a_draft_by_button(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await draft_to_vlijmen(h)
        await sanne.press("Iedereen van")
        await sanne.press("gaf toestemming")
        no_note, data = find_button(h.telegram, SANNE.id, "Geen notitie")
        await release_and_kim_claims(h, sanne)
        await sanne.feed(h.telegram.press(SANNE, no_note, data, queue=False))
        assert (await the_handover(db)).status == "cancelled"
        assert STOPPED in now_reads(h, no_note) and "HH-2026-00001" in now_reads(h, no_note)
        assert "Overdracht" not in vlijmen_texts(h)
        assert await handover_audits(db) == []
        await kim_still_holds_it(h)


async def test_former_holder_cannot_send_a_draft_by_typed_note(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await draft_to_vlijmen(h)
        await sanne.press("Iedereen van")
        await sanne.press("gaf toestemming")
        await release_and_kim_claims(h, sanne)
        mia_before = len(h.telegram.sent(MIA.id))
        await sanne.say(NOTE)
        handover = await the_handover(db)
        assert handover.status == "cancelled" and handover.note is None
        assert STOPPED in sanne.last_text()
        assert "Overdracht" not in vlijmen_texts(h)
        # The note is not taken as a message to the resident either.
        assert NOTE not in " ".join(m.get("text", "") for m in h.telegram.sent(MIA.id))
        assert len(h.telegram.sent(MIA.id)) == mia_before
        await kim_still_holds_it(h)
        # The draft is gone: her next text is an ordinary one, not a second refusal.
        await sanne.say("Hallo")
        assert STOPPED not in sanne.last_text()


async def test_former_holder_cannot_pick_the_receiver(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await draft_to_vlijmen(h)
        await release_and_kim_claims(h, sanne)
        pressed = await press_old(h, SANNE, "Tom")
        handover = await the_handover(db)
        assert handover.status == "cancelled" and handover.to_staff_id is None
        assert STOPPED in pressed["text"]


async def test_former_holder_cannot_record_consent(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await draft_to_vlijmen(h)
        await sanne.press("Iedereen van")
        await release_and_kim_claims(h, sanne)
        pressed = await press_old(h, SANNE, "gaf toestemming")
        handover = await the_handover(db)
        assert handover.status == "cancelled"
        assert handover.consent_basis is None and handover.consent_at is None
        assert STOPPED in pressed["text"]


async def test_former_holder_cannot_record_a_safety_reason(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await draft_to_vlijmen(h)
        await sanne.press("Iedereen van")
        await sanne.press("veiligheid is in gevaar")
        await release_and_kim_claims(h, sanne)
        await sanne.say(REASON)
        handover = await the_handover(db)
        assert handover.status == "cancelled"
        assert handover.consent_reason is None and handover.consent_at is None
        assert STOPPED in sanne.last_text()
        assert "Overdracht" not in vlijmen_texts(h)


async def test_draft_of_a_resolved_request_cannot_be_sent(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await draft_to_vlijmen(h)
        await sanne.press("Iedereen van")
        await sanne.press("gaf toestemming")
        no_note, data = find_button(h.telegram, SANNE.id, "Geen notitie")
        await sanne.press("Afronden")
        await sanne.press("Direct opgelost")
        await sanne.feed(h.telegram.press(SANNE, no_note, data, queue=False))
        assert (await the_handover(db)).status == "cancelled"
        assert (await the_request(db)).status == "resolved"
        assert "Overdracht" not in vlijmen_texts(h)


async def test_only_the_holder_starts_a_handover(db: Database, tmp_path: Path) -> None:
    """A coordinator may look at any request, but a handover is made from a claim."""
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION)
        carla = await h.add_staff(CARLA, "coordinatie", role=Role.coordinator)
        request = await the_request(db)
        card = h.telegram.last_sent(h.group("wijkteam_drunen"))
        data = f"case:ho_wijkteam_vlijmen:{request.id}"
        await carla.feed(h.telegram.press(CARLA, card, data, queue=False))
        async with db.session() as session:
            assert list(await session.scalars(select(Handover))) == []
        assert "niet (meer) opgepakt" in h.telegram.last_sent(h.group("wijkteam_drunen"))["text"]


# --- Deciding: only while the sender still holds the request -----------------------------


async def pending_to_vlijmen(h: Harness) -> ScriptedChat:
    sanne = await draft_to_vlijmen(h)
    await sanne.press("Iedereen van")
    await sanne.press("gaf toestemming")
    await sanne.press("Geen notitie")
    assert (await the_handover(h.services.db)).status == "pending"
    return sanne


async def test_accept_does_not_take_the_case_from_a_new_holder(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await pending_to_vlijmen(h)
        await release_and_kim_claims(h, sanne)
        kim_before = len(h.telegram.sent(KIM.id))
        card, data = find_button(h.telegram, h.group("wijkteam_vlijmen"), "Accepteren")
        await h.chat(TOM).feed(h.telegram.press(TOM, card, data, queue=False))
        await kim_still_holds_it(h)
        assert STALE in h.telegram.callback_answers()[-1]["text"]
        handover = await the_handover(db)
        assert handover.status == "cancelled" and handover.decided_by is None
        assert len(h.telegram.sent(KIM.id)) == kim_before
        assert "Tom" not in h.telegram.last_sent(MIA.id).get("text", "")
        # The card says so and loses its buttons; a second press changes nothing.
        assert STALE in now_reads(h, card) and not h.telegram.message(
            card["chat"]["id"], card["message_id"]
        ).get("reply_markup")
        await h.chat(TOM).feed(h.telegram.press(TOM, card, data, queue=False))
        await kim_still_holds_it(h)


async def test_accept_does_not_reopen_a_resolved_request(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await pending_to_vlijmen(h)
        await sanne.press("Afronden")
        await sanne.press("Direct opgelost")
        await press_old(h, TOM, "Accepteren", h.group("wijkteam_vlijmen"))
        request = await the_request(db)
        assert (request.status, request.claimed_by, request.queue) == (
            "resolved",
            1,
            "wijkteam_drunen",
        )
        assert STALE in h.telegram.callback_answers()[-1]["text"]
        assert (await the_handover(db)).status == "cancelled"


async def test_decline_after_release_is_refused_too(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await pending_to_vlijmen(h)
        await sanne.press("Terugzetten")
        await sanne.press("Geen tijd")
        sanne_before = len(h.telegram.sent(SANNE.id))
        await press_old(h, TOM, "Weigeren", h.group("wijkteam_vlijmen"))
        assert (await the_handover(db)).status == "cancelled"
        assert STALE in h.telegram.callback_answers()[-1]["text"]
        assert len(h.telegram.sent(SANNE.id)) == sanne_before  # no "declined" for a non-holder
        request = await the_request(db)
        assert request.status == "open" and request.claimed_by is None


async def test_the_same_holder_again_may_still_hand_over(db: Database, tmp_path: Path) -> None:
    """The guard is the claim, not the history: a fresh handover of a re-claimed case works."""
    async with running_app(db, tmp_path) as h:
        sanne = await pending_to_vlijmen(h)
        await sanne.press("Terugzetten")
        await sanne.press("Geen tijd")
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        await sanne.press("Overdragen")
        await sanne.press("Wijkteam Vlijmen")
        await sanne.press("Iedereen van")
        await sanne.press("gaf toestemming")
        await sanne.press("Geen notitie")
        await h.chat(TOM).press("Accepteren", chat_id=h.group("wijkteam_vlijmen"))
        request = await the_request(db)
        assert (request.status, request.claimed_by, request.queue) == (
            "claimed",
            2,
            "wijkteam_vlijmen",
        )


# --- Erasure -----------------------------------------------------------------------------


async def erase_mia(h: Harness) -> None:
    """Mia asks to be forgotten; the coordinator approves (her request is still open)."""
    carla = await h.add_staff(CARLA, "coordinatie", role=Role.coordinator)
    mia = h.chat(MIA)
    await mia.say("/vergeetmij")
    await mia.press("Ja, wis alles")
    await carla.press("Wissen goedkeuren", chat_id=h.group(h.services.config.crisis_queue))
    assert (await the_request(h.services.db)).status == "cancelled"


async def test_erasure_cancels_a_draft_handover(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await draft_to_vlijmen(h)
        await sanne.press("Iedereen van")
        await sanne.press("gaf toestemming")
        no_note, data = find_button(h.telegram, SANNE.id, "Geen notitie")
        await erase_mia(h)
        handover = await the_handover(db)
        assert handover.status == "cancelled" and handover.decided_at == h.clock.now
        await sanne.feed(h.telegram.press(SANNE, no_note, data, queue=False))
        await sanne.say(NOTE)
        assert (await the_request(db)).status == "cancelled"
        assert (await the_handover(db)).status == "cancelled"
        assert "Overdracht" not in vlijmen_texts(h)


async def test_erased_request_is_not_accepted_from_an_old_card(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await pending_to_vlijmen(h)
        await erase_mia(h)
        await press_old(h, TOM, "Accepteren", h.group("wijkteam_vlijmen"))
        request = await the_request(db)
        assert request.status == "cancelled" and request.queue == "wijkteam_drunen"
