"""Crisis first, through the real application: at every intake step, before consent, after
the intake, out of hours — the right numbers at once, the request marked, coordinators alerted."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Contact, IntakeDraft, Request, RequestNote
from tests.bot_harness import Harness, complete_intake, running_app
from tests.intake_steps import QUESTION, TO_STEP, walk

MIA = FakeUser(id=4001, first_name="Mia")
SUICIDE = "ik wil niet meer leven, ik wil er een einde aan maken"


async def requests(db: Database) -> list[Request]:
    async with db.session() as session:
        return list(await session.scalars(select(Request)))


async def draft_step(db: Database) -> str | None:
    async with db.session() as session:
        draft = await session.scalar(select(IntakeDraft))
        return draft.step if draft else None


def texts_since(h: Harness, chat_id: int, count: int) -> list[str]:
    return [m.get("text", "") for m in h.telegram.sent(chat_id)[count:]]


@pytest.mark.parametrize("step", list(TO_STEP))
async def test_crisis_at_every_step_gets_113_first_and_alerts_at_once(
    db: Database, tmp_path: Path, step: str
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await walk(mia, TO_STEP[step])
        assert await draft_step(db) == step
        before = len(h.telegram.sent(MIA.id))
        await mia.say(SUICIDE)
        replies = texts_since(h, MIA.id, before)
        assert "113" in replies[0] and "0800-0113" in replies[0], "the safety reply comes first"
        [request] = await requests(db)
        assert (request.urgency, request.queue) == ("crisis", "coordinatie")
        assert request.reference in h.telegram.last_sent(h.group("coordinatie"))["text"]
        # The intake waits where it was (at the question step, the message is the question).
        assert await draft_step(db) == ("confirm_category" if step == "question" else step)
        assert len(replies) >= 2, "and asks its question again"


async def test_crisis_after_the_intake_marks_the_open_request_and_tells_the_holder(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        sanne = await h.add_staff(FakeUser(id=5001, first_name="Sanne"), "wijkteam_drunen")
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        before = len(h.telegram.sent(MIA.id))
        await mia.say(SUICIDE)
        assert "0800-0113" in texts_since(h, MIA.id, before)[0]
        [request] = await requests(db)
        assert request.urgency == "crisis"
        assert request.claimed_by is not None, "the holder keeps it"
        alert = h.telegram.last_sent(h.group("coordinatie"))["text"]
        assert "CRISIS" in alert and request.reference in alert
        assert SUICIDE in h.telegram.last_sent(5001)["text"], "the holder reads it at once"


@pytest.mark.parametrize(
    ("message", "numbers", "not_numbers"),
    [
        ("mijn man is gevallen en hij reageert niet meer", ["112"], ["0800-2000", "0800-0113"]),
        ("er brandt iets in de keuken, help", ["112"], ["0800-2000"]),
        (
            "mijn vriend slaat me en dreigt met een mes, ik ben bang",
            ["112", "0800-2000"],
            ["0800-0113"],
        ),
        ("I want to end my life", ["0800-0113"], ["0800-2000"]),
    ],
)
async def test_crisis_as_a_first_message_needs_no_consent(
    db: Database, tmp_path: Path, message: str, numbers: list[str], not_numbers: list[str]
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say(message)
        first = h.telegram.sent(MIA.id)[0]["text"]
        assert all(n in first for n in numbers) and not any(n in first for n in not_numbers)
        if "112" in numbers:
            assert first.index("112") < first.find("0800-2000") or "0800-2000" not in first
        [request] = await requests(db)
        assert (request.urgency, request.consent_version) == ("crisis", "vital_interest")
        assert request.reference in h.telegram.last_sent(h.group("coordinatie"))["text"]


DOMESTIC = "mijn man slaat mij soms als hij gedronken heeft"


async def test_domestic_violence_that_is_not_acute_gets_veilig_thuis_and_urgency(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say(DOMESTIC)  # before consent: the number, no request, the intake starts
        first = h.telegram.sent(MIA.id)[0]["text"]
        assert "0800-2000" in first and "0800-0113" not in first
        assert await requests(db) == []
        assert h.telegram.sent(h.group("coordinatie")) == [], "urgent, not a crisis alert"
        await mia.press("akkoord")
        await mia.say("Ik zoek iemand voor mijn tuin")
        await mia.say(DOMESTIC)  # at the confirm step: marks the intake urgent
        assert "0800-2000" in h.telegram.sent(MIA.id)[-3]["text"]
        await mia.press("Ja")
        await mia.press("Drunen")
        await mia.say("0612345678")
        await mia.press("Ochtend")
        await mia.press("Versturen")
        [request] = await requests(db)
        assert request.urgency == "urgent" and request.category == "klussen"


async def test_domestic_violence_after_the_intake_raises_the_open_request(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        [request] = await requests(db)
        assert request.urgency == "normal"
        await mia.say(DOMESTIC)
        assert any("0800-2000" in t for t in texts_since(h, MIA.id, -2))
        [request] = await requests(db)
        assert request.urgency == "urgent"


async def test_crisis_out_of_hours_is_never_held_back(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        h.clock.now = datetime(2026, 5, 9, 3, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))  # Saturday
        mia = h.chat(MIA)
        await mia.say(SUICIDE)
        assert "0800-0113" in h.telegram.sent(MIA.id)[0]["text"]
        assert h.telegram.sent(h.group("coordinatie")), "the alert goes out at night too"


async def contacts_and_notes(db: Database) -> tuple[list[str], list[str]]:
    async with db.session() as session:
        events = [c.event for c in await session.scalars(select(Contact))]
        notes = [n.text for n in await session.scalars(select(RequestNote))]
    return sorted(events), notes


async def test_each_crisis_message_is_one_contact_and_one_note(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say(SUICIDE)  # no intake: the message itself is the contact
        assert await contacts_and_notes(db) == (["message"], [SUICIDE])
        await mia.say("ik ben zo bang")
        assert await contacts_and_notes(db) == (["message", "message"], [SUICIDE, "ik ben zo bang"])


async def test_crisis_after_the_intake_is_noted_once(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        await mia.say(SUICIDE)
        assert await contacts_and_notes(db) == (["intake", "message"], [SUICIDE])


async def test_crisis_during_an_intake_that_is_stopped_still_counts(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await walk(mia, TO_STEP["village"])
        await mia.say(SUICIDE)
        await mia.say("/stop")
        events, notes = await contacts_and_notes(db)
        assert (events, notes) == (["message"], [SUICIDE])
        [request] = await requests(db)
        assert request.status == "open" and request.urgency == "crisis"


async def test_crisis_during_an_intake_that_is_sent_is_the_intake_contact(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await walk(mia, TO_STEP["summary"])
        await mia.say(SUICIDE)
        await mia.press("Versturen")
        assert await contacts_and_notes(db) == (["intake"], [SUICIDE])


async def test_an_open_request_raised_to_urgent_escalates_on_the_urgent_limit(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)  # Monday 11:00 Amsterdam, normal: 4 hours
        await mia.say(DOMESTIC)
        h.clock.advance(minutes=31)  # urgent: 30 minutes of opening hours
        await h.services.dispatcher.run_once(h.app.bot)
        group = h.group("wijkteam_drunen")
        assert any("⏰" in m["text"] for m in h.telegram.sent(group))
