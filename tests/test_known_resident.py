"""The known-resident check (bekendheidscheck): Telegram id and phone-number variants."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from helpline.scripted import ScriptedChat
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Request
from tests.bot_harness import Harness, complete_intake, running_app

QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"


def card(h: Harness, queue: str) -> str:
    return str(h.telegram.last_sent(h.group(queue))["text"])


async def phone_intake(h: Harness, staff: ScriptedChat, phone: str) -> None:
    await staff.say("/nieuw")
    await staff.press("Telefoon")
    await staff.say("Mia")
    await staff.say(phone)
    await staff.press("Heusden")
    await staff.say(QUESTION)
    await staff.press("Formulieren")
    await staff.press("Versturen")


async def test_phone_number_variants_and_telegram_id_find_the_same_resident(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(FakeUser(4001, "Mia")), QUESTION, phone="06-12345678")
        assert "Inwoner: nieuw" in card(h, "wijkteam_drunen")
        # Another Telegram account, the same number written differently, another village.
        await complete_intake(
            h.chat(FakeUser(4999, "Mia")), QUESTION, village="Vlijmen", phone="+31 6 1234 5678"
        )
        assert "bekend (1 eerdere vraag, open bij Wijkteam Drunen)" in card(h, "wijkteam_vlijmen")
        # On the phone, as staff write it down.
        sanne = await h.add_staff(FakeUser(5001, "Sanne"), "wijkteam_heusden")
        await phone_intake(h, sanne, "0031612345678")
        assert "bekend (2 eerdere vragen, open bij" in card(h, "wijkteam_heusden")
        # The first account again, without a number: known by its Telegram id.
        await complete_intake(h.chat(FakeUser(4001, "Mia")), QUESTION, phone=None)
        assert "bekend (3 eerdere vragen" in card(h, "wijkteam_drunen")
        async with db.session() as session:
            labels = [r.new_or_known for r in await session.scalars(select(Request))]
        assert labels == ["nieuw", "bekend", "bekend", "bekend"]


async def test_a_different_number_is_a_new_resident(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(FakeUser(4001, "Mia")), QUESTION, phone="0612345678")
        await complete_intake(h.chat(FakeUser(4002, "Ben")), QUESTION, phone="0612345679")
        assert "Inwoner: nieuw" in card(h, "wijkteam_drunen")


async def test_the_card_shows_no_more_than_known_and_the_team(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(FakeUser(4001, "Mia")), QUESTION, phone="0612345678")
        await complete_intake(h.chat(FakeUser(4999, "Mia")), QUESTION, phone="0612345678")
        text = card(h, "wijkteam_drunen")
        assert "0612345678" not in text and "06 12345678" not in text and QUESTION not in text
        assert "HH-2026-00001" not in text, "not which earlier request"
