"""The satisfaction survey through the real application: asked once after resolve, answered
by the resident only, with an optional remark, and counted by ``--metric grade``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from flows.labels import load_labels
from helpline.reporting.build import build_report, parse_breakdowns
from helpline.reporting.model import Metric
from helpline.reporting.periods import Period
from helpline.scripted import ScriptedChat, find_button
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Role, Satisfaction
from tests.bot_harness import Harness, complete_intake, running_app

MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"
ASKED = "Hoe tevreden bent u over onze hulp?"


async def resolved(
    h: Harness, outcome: str = "Direct opgelost"
) -> tuple[ScriptedChat, ScriptedChat]:
    mia = h.chat(MIA)
    await complete_intake(mia, QUESTION)
    sanne = await h.add_staff(SANNE, "wijkteam_drunen")
    await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
    await sanne.press("Afronden")
    await sanne.press(outcome)
    return mia, sanne


async def answers(db: Database) -> list[Satisfaction]:
    async with db.session() as session:
        return list(await session.scalars(select(Satisfaction)))


def survey_messages(h: Harness) -> list[dict[str, Any]]:
    return [m for m in h.telegram.sent(MIA.id) if ASKED in m.get("text", "")]


def reply_to(h: Harness, original: dict[str, Any], text: str) -> dict[str, Any]:
    """Mia answers ``original`` (a bot message) with Telegram's reply function."""
    update = h.telegram.text(MIA, text, queue=False)
    # Telegram shows only inline keyboards on a replied-to message.
    update["message"]["reply_to_message"] = {
        k: v for k, v in original.items() if k != "reply_markup"
    }
    return update


async def test_resolve_asks_once_and_the_grade_and_remark_are_stored(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia, _ = await resolved(h)
        [question] = survey_messages(h)
        assert "HH-2026-00001" in question["text"]
        await mia.press("8")
        [answer] = await answers(db)
        assert (answer.grade, answer.opted_out, answer.remark) == (8, False, None)
        thanks, invitation = h.telegram.sent(MIA.id)[-2:]
        assert "Dank u wel voor uw cijfer" in thanks["text"]
        assert "HH-2026-00001" in invitation["text"]
        assert invitation["reply_markup"]["force_reply"] is True
        # The buttons are gone: a second press on the old message changes nothing.
        assert not h.telegram.message(MIA.id, question["message_id"]).get("reply_markup")
        await mia.feed(h.telegram.press(MIA, question, "sat:grade:1:3", queue=False))
        [answer] = await answers(db)
        assert answer.grade == 8
        await mia.feed(reply_to(h, invitation, "Heel fijn geholpen door Sanne"))
        assert mia.last_text() == "Dank u wel, we hebben uw opmerking bewaard."
        [answer] = await answers(db)
        assert answer.remark == "Heel fijn geholpen door Sanne"
        assert len(survey_messages(h)) == 1, "asked once"


async def test_a_message_that_is_not_a_reply_is_never_taken_as_a_remark(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia, _ = await resolved(h)
        await mia.press("7")
        await mia.say("Ik heb ook een vraag over mijn vuilnis")
        [answer] = await answers(db)
        assert answer.remark is None
        # A new intake starts instead: the greeting with its consent button.
        message, _ = find_button(h.telegram, MIA.id, "akkoord")
        assert message == h.telegram.last_sent(MIA.id)


async def test_rather_not_stores_an_opt_out_and_asks_no_remark(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia, _ = await resolved(h)
        await mia.press("Liever niet")
        [answer] = await answers(db)
        assert (answer.grade, answer.opted_out) == (None, True)
        assert mia.last_text() == "Dat is goed. We vragen het niet meer over deze vraag."


async def test_english_resident_is_asked_in_english(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        english = FakeUser(id=4002, first_name="Amy", language_code="en")
        amy = h.chat(english)
        await amy.say("/start")
        await amy.press("agree")
        await amy.say("I get letters from the tax office and do not understand the form")
        await amy.press("Yes")
        await amy.press("Drunen")
        await amy.say("Chat only")
        await amy.press("Morning")
        await amy.press("Send")
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        await sanne.press("Afronden")
        await sanne.press("Direct opgelost")
        assert "How satisfied are you" in amy.last_text()
        await amy.press("Rather not")
        assert "We will not ask again" in amy.last_text()


async def test_nobody_else_can_answer_and_forged_data_stores_nothing(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await resolved(h)
        [question] = survey_messages(h)
        eve = FakeUser(id=6001, first_name="Eve")
        for data in ("sat:grade:1:10", "sat:optout:1", "sat:grade:99:5", "sat:grade:10"):
            await h.chat(eve).feed(h.telegram.press(eve, question, data, queue=False))
        await h.chat(MIA).feed(h.telegram.press(MIA, question, "sat:grade:99:5", queue=False))
        assert await answers(db) == []
        refused = [a.get("text") for a in h.telegram.callback_answers()[-5:]]
        assert refused == ["Deze knop werkt niet (meer)."] * 5


async def test_not_asked_when_the_resident_could_not_be_reached(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await resolved(h, outcome="Niet bereikbaar")
        assert survey_messages(h) == []


async def test_grades_given_in_telegram_are_what_metric_grade_counts(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia, _ = await resolved(h)
        await mia.press("9")
        labels = load_labels()
        report = await build_report(
            db=db,
            config=h.services.config,
            labels=labels,
            period=Period(date(2026, 1, 1), date(2026, 12, 31)),
            breakdowns=parse_breakdowns(["category"], Metric.grade),
            zone=ZoneInfo("Europe/Amsterdam"),
            metric=Metric.grade,
        )
        [row] = report.breakdowns[0].rows
        assert (row.count, row.average) == (1, 9.0)


async def test_not_asked_after_a_crisis(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("ik wil niet meer leven")
        lead = await h.add_staff(SANNE, role=Role.coordinator)
        await lead.press("Oppakken", chat_id=h.group("coordinatie"))
        await lead.press("Afronden")
        await lead.press("Direct opgelost")
        assert survey_messages(h) == []


async def test_a_case_closed_late_in_the_evening_is_asked_about_in_the_morning(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        h.clock.now = h.clock.now.replace(hour=20, minute=30)  # 22:30 in Heusden (CEST)
        await resolved(h)
        assert survey_messages(h) == [], "no question in the quiet hours"
        h.clock.advance(hours=10, minutes=35)  # 09:05 the next morning
        await h.services.dispatcher.run_once(h.app.bot)
        [question] = survey_messages(h)
        assert "HH-2026-00001" in question["text"]
