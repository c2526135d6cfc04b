"""The real application through the fake Bot API: intake, card, claim, restart, crisis."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import select

from helpline.scripted import find_button
from helpline.testing import FakeTelegram, FakeUser
from storage.db import Database
from storage.models import Contact, IntakeDraft, Outbox, Request, RequestNote, Resident
from tests.bot_harness import complete_intake, running_app

MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"


async def rows(db: Database, model: type) -> list:  # type: ignore[type-arg]
    async with db.session() as session:
        return list(await session.scalars(select(model)))


async def test_intake_creates_request_card_and_contact(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        assert "HH-2026-00001" in mia.last_text()
        [request] = await rows(db, Request)
        assert request.summary == QUESTION
        assert request.village == "drunen" and request.queue == "wijkteam_drunen"
        assert request.new_or_known == "nieuw"
        [resident] = await rows(db, Resident)
        assert resident.phone == "+31612345678"
        [contact] = await rows(db, Contact)
        assert (contact.event, contact.channel, contact.direction) == (
            "intake",
            "telegram",
            "inbound",
        )
        assert await rows(db, IntakeDraft) == []
        card = h.telegram.last_sent(h.group("wijkteam_drunen"))
        assert "HH-2026-00001" in card["text"] and "Mia" in card["text"]
        assert QUESTION not in card["text"] and "12345678" not in card["text"]
        assert card["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == (
            f"req:claim:{request.id}"
        )
        [outbox] = await rows(db, Outbox)
        assert outbox.status == "sent" and outbox.message_id == card["message_id"]


async def test_staff_claim_edits_card_and_sends_details(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION)
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        group = h.group("wijkteam_drunen")
        await sanne.press("Oppakken", chat_id=group)
        card = h.telegram.last_sent(group)
        assert "Opgepakt door Sanne" in card["text"]
        details = h.telegram.last_sent(SANNE.id)["text"]
        assert QUESTION in details and "06 12345678" in details
        [request] = await rows(db, Request)
        assert request.status == "claimed" and request.claimed_by is not None
        events = sorted(c.event for c in await rows(db, Contact))
        assert events == ["claim", "intake"]


async def test_non_staff_and_wrong_queue_are_refused(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION)
        group = h.group("wijkteam_drunen")
        stranger = h.chat(FakeUser(id=6001, first_name="Eve"))
        await stranger.press("Oppakken", chat_id=group)
        other = await h.add_staff(FakeUser(id=6002, first_name="Tom"), "belmaatjes")
        await other.press("Oppakken", chat_id=group)
        answers = [a.get("text", "") for a in h.telegram.callback_answers()]
        assert any("alleen voor medewerkers" in a for a in answers)
        assert any("niet in zit" in a for a in answers)
        assert h.telegram.sent(6001) == [] and h.telegram.sent(6002) == []
        [request] = await rows(db, Request)
        assert request.claimed_by is None


async def test_twenty_staff_press_claim_at_once(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION)
        group = h.group("wijkteam_drunen")
        staff = [
            await h.add_staff(FakeUser(id=7000 + n, first_name=f"Staf{n}"), "wijkteam_drunen")
            for n in range(20)
        ]
        # All twenty press the card as they saw it, before anyone's press was handled.
        card, data = find_button(h.telegram, group, "Oppakken")
        await asyncio.gather(
            *(s.feed(h.telegram.press(s.user, card, data, queue=False)) for s in staff)
        )
        [request] = await rows(db, Request)
        winners = [s for s in staff if h.telegram.sent(s.user.id)]
        assert len(winners) == 1 and request.claimed_by is not None
        taken = [a for a in h.telegram.callback_answers() if "al opgepakt" in a.get("text", "")]
        assert len(taken) == 19


async def test_restart_mid_intake_continues_at_same_step(db: Database, tmp_path: Path) -> None:
    telegram = FakeTelegram()
    async with running_app(db, tmp_path, telegram) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        await mia.press("akkoord")
        await mia.say(QUESTION)
        await mia.press("Ja")
    # A new application on the same database: the village question is still pending.
    async with running_app(db, tmp_path, telegram) as h2:
        mia = h2.chat(MIA)
        await mia.press("Drunen")
        assert "bereiken" in mia.last_text()
        [draft] = await rows(db, IntakeDraft)
        assert draft.question == QUESTION and draft.village == "drunen"


async def test_bad_input_in_app_gets_reprompt(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        await mia.press("akkoord")
        for kind in ("photo", "sticker", "voice", "location"):
            before = len(h.telegram.sent(MIA.id))
            await mia.feed(h.telegram.media(MIA, kind, queue=False))
            assert len(h.telegram.sent(MIA.id)) > before, f"silence after {kind}"
        await mia.say("🙂🙂")
        assert "eigen woorden" in mia.last_text()
        await mia.say("x" * 4096)
        assert "eigen woorden" in mia.last_text()
        [draft] = await rows(db, IntakeDraft)
        assert draft.step == "question" and draft.question is None


async def test_stop_removes_draft(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        await mia.press("akkoord")
        await mia.say("/stop")
        assert "niet bewaard" in mia.last_text()
        assert await rows(db, IntakeDraft) == []
        await mia.say("/stop")
        assert "geen gesprek" in mia.last_text()


async def test_message_after_intake_is_added_to_request(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        await mia.say("Ik ben morgen niet thuis")
        assert "toegevoegd" in mia.last_text()
        [note] = await rows(db, RequestNote)
        assert note.text == "Ik ben morgen niet thuis"
        assert sorted(c.event for c in await rows(db, Contact)) == ["intake", "message"]


async def test_english_resident_gets_english(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        john = h.chat(FakeUser(id=4100, first_name="John", language_code="en"))
        await john.say("/start")
        assert "Do you agree?" in john.last_text()


async def test_crisis_message_gets_safety_reply_and_alert(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        await mia.press("akkoord")
        await mia.say("ik wil niet meer leven, ik wil er een einde aan maken")
        texts = [m["text"] for m in h.telegram.sent(MIA.id)]
        assert any("113" in t for t in texts)
        alert = h.telegram.last_sent(h.group("coordinatie"))
        assert "HH-2026-00001" in alert["text"]
        [request] = await rows(db, Request)
        assert request.urgency == "crisis" and request.queue == "coordinatie"
        # The intake goes on and completes the same request, not a second one.
        await mia.press("Ja")
        await mia.press("Drunen")
        await mia.say("💬 Alleen via de chat")
        await mia.press("Ochtend")
        await mia.press("Versturen")
        [request] = await rows(db, Request)
        assert request.village == "drunen" and request.urgency == "crisis"


async def test_out_of_hours_resident_is_told_when_line_answers(
    db: Database, tmp_path: Path
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    async with running_app(db, tmp_path) as h:
        h.clock.now = datetime(2026, 5, 8, 20, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))  # Friday
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        assert "maandag 11 mei om 09:00" in mia.last_text()
        assert "HH-2026-00001" in h.telegram.sent(MIA.id)[-2]["text"]


async def test_within_hours_no_closed_notice(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:  # the harness clock: Monday 4 May 09:00 UTC
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        assert "gesloten" not in mia.last_text()
