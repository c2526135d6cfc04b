"""English works too: residents whose Telegram is English, or who press 🇬🇧 English."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Request, Resident
from tests.bot_harness import running_app

AMY = FakeUser(id=4002, first_name="Amy", language_code="en-GB")
MIA = FakeUser(id=4001, first_name="Mia")
DUTCH_WORDS = ("Goedendag", "Vertel", "plaats", "bereiken", "Dank u", "Versturen")


async def test_english_resident_does_the_whole_intake_in_english(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        amy = h.chat(AMY)
        await amy.say("/start")
        await amy.press("I agree")
        await amy.say("Could someone walk my dog? I broke my leg")
        assert amy.last_text() == "Is it about: Pet care?"
        await amy.press("Yes")
        await amy.press("Vlijmen")
        await amy.say("Chat only")
        await amy.press("Afternoon")
        assert "Is this right?" in amy.last_text() and "Pet care" in amy.last_text()
        await amy.press("Send")
        texts = [m.get("text", "") for m in h.telegram.sent(AMY.id)]
        assert "Your reference is HH-2026-00001" in texts[-1]
        assert not any(word in t for t in texts for word in DUTCH_WORDS), texts
        async with db.session() as session:
            [request] = list(await session.scalars(select(Request)))
            [resident] = list(await session.scalars(select(Resident)))
        assert (request.language, resident.language, request.category) == ("en", "en", "huisdier")
        card = h.telegram.last_sent(h.group("vrijwilligers"))["text"]
        assert "Nieuwe vraag" in card, "staff read their cards in the line's language"
        await amy.say("I will be home after 3")
        assert (
            amy.last_text()
            == "Thank you. Your message has been added to your question HH-2026-00001."
        )


async def test_dutch_telegram_user_can_switch_to_english_and_back(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        assert "Goedendag" in mia.last_text()
        await mia.press("English")
        assert "Do you agree?" in mia.last_text()
        await mia.press("Nederlands")
        assert "Gaat u daarmee akkoord?" in mia.last_text()
        await mia.press("English")
        await mia.press("I agree")
        assert "in your own words" in mia.last_text()
        await mia.say("I need help with my groceries")
        assert mia.last_text() == "Is it about: Groceries?"


async def test_english_crisis_reply_is_in_english(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        amy = h.chat(AMY)
        await amy.say("I don't want to live anymore")
        first = h.telegram.sent(AMY.id)[0]["text"]
        assert "Suicide Prevention" in first and "0800-0113" in first
