"""A resident's very long message still reaches the holder (cut to fit Telegram), and the
whole message is kept on the request."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Outbox, RequestNote
from tests.bot_harness import complete_intake, running_app

QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"


async def test_a_4096_character_message_reaches_the_holder_cut_and_is_kept_whole(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(FakeUser(4001, "Mia"))
        await complete_intake(mia, QUESTION)
        sanne = await h.add_staff(FakeUser(5001, "Sanne"), "wijkteam_drunen")
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        long = "Ik wil nog iets vertellen. " * 151  # 4,077 characters
        await mia.say(long[:4096])
        forwarded = h.telegram.last_sent(5001)["text"]
        assert forwarded.startswith("💬 Mia (HH-2026-00001)") and forwarded.endswith("…")
        assert len(forwarded) <= 4096
        async with db.session() as session:
            relays = [o for o in await session.scalars(select(Outbox)) if o.purpose == "relay"]
            [note] = list(await session.scalars(select(RequestNote)))
        assert [o.status for o in relays] == ["sent"]
        assert note.text == long[:4096]


async def test_a_too_long_staff_message_is_refused_in_staff_words(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(FakeUser(4001, "Mia"))
        await complete_intake(mia, QUESTION)
        sanne = await h.add_staff(FakeUser(5001, "Sanne"), "wijkteam_drunen")
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        await sanne.press("Schrijven")
        before = len(h.telegram.sent(4001))
        await sanne.say("b" * 4000)
        assert "te lang om door te sturen" in sanne.last_text() and "3500" in sanne.last_text()
        assert len(h.telegram.sent(4001)) == before, "nothing half-sent to the resident"
        await sanne.say("Ik bel u morgen om tien uur.")
        assert "Ik bel u morgen om tien uur." in mia.last_text()
