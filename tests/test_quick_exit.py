"""/wis: the resident's quick exit deletes what Telegram still allows; nothing else changes."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import func, select

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import ChatMessage, Contact, IntakeDraft, Request
from tests.bot_harness import Harness, complete_intake, running_app

MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"


def last_id(h: Harness, chat_id: int) -> int:
    return max(m["message_id"] for m in h.telegram.sent(chat_id))


def calls(h: Harness, method: str) -> list[dict[str, object]]:
    return [c.params for c in h.telegram.calls if c.method == method]


async def count(db: Database, model: type) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def snapshot(db: Database) -> list[object]:
    async with db.session() as session:
        requests = [
            (r.status, r.claimed_by, r.summary) for r in await session.scalars(select(Request))
        ]
    return [requests, await count(db, Contact)]


async def test_wis_deletes_both_sides_and_leaves_the_request(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        await sanne.press("Schrijven")
        await sanne.say("Ik bel u morgen.")  # relayed straight to Mia
        await mia.say("Dank u wel")  # added to her request
        highest = last_id(h, MIA.id)
        before = await snapshot(db)
        await mia.say("/wis")
        # Every message of the chat (hers and the bot's, and the /wis) is gone.
        assert sorted(h.telegram.deleted(MIA.id)) == list(range(1, highest + 2))
        [goodbye] = h.telegram.sent(MIA.id)
        assert goodbye["text"] == "Tot ziens."
        assert goodbye["reply_markup"] == {"remove_keyboard": True}
        assert await snapshot(db) == before
        async with db.session() as session:
            left = list(await session.scalars(select(ChatMessage)))
        assert [(m.chat_id, m.message_id, m.outgoing) for m in left] == [
            (MIA.id, goodbye["message_id"], True)
        ]
        # Staff chats are not touched.
        assert h.telegram.deleted(SANNE.id) == []
        assert "Dank u wel" in h.telegram.last_sent(SANNE.id)["text"]


async def test_wis_during_an_intake_keeps_the_intake(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        await mia.press("akkoord")
        await mia.say(QUESTION)
        await mia.say("/wis")
        assert h.telegram.sent(MIA.id)[-1]["text"] == "Tot ziens."
        assert len(h.telegram.sent(MIA.id)) == 1
        async with db.session() as session:
            [draft] = list(await session.scalars(select(IntakeDraft)))
        assert draft.question == QUESTION and draft.step == "confirm_category"
        # The intake goes on where it was: typing the answer still works.
        await mia.say("Ja")
        async with db.session() as session:
            [draft] = list(await session.scalars(select(IntakeDraft)))
        assert draft.step != "confirm_category"


async def test_wis_in_batches_of_at_most_100(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        for n in range(70):  # each message gets a reply: 140 more messages
            await mia.say(f"Nog iets {n}")
        highest = last_id(h, MIA.id)
        assert highest > 150
        await mia.say("/wis")
        batches = [c["message_ids"] for c in calls(h, "deleteMessages")]
        assert [len(b) for b in batches] == [100, highest + 1 - 100]  # type: ignore[arg-type]
        assert sorted(h.telegram.deleted(MIA.id)) == list(range(1, highest + 2))


async def test_wis_falls_back_to_one_by_one(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        await mia.press("akkoord")
        highest = last_id(h, MIA.id)
        h.telegram.fail_next("deleteMessages", error_code=400, description="Bad Request: no")
        await mia.say("/wis")
        singles = [c["message_id"] for c in calls(h, "deleteMessage")]
        assert singles == list(range(1, highest + 2))
        assert sorted(h.telegram.deleted(MIA.id)) == list(range(1, highest + 2))
        assert h.telegram.last_sent(MIA.id)["text"] == "Tot ziens."


async def test_ids_older_than_48_hours_are_pruned_and_not_tried(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        old = last_id(h, MIA.id)
        assert await count(db, ChatMessage) == old
        h.clock.advance(hours=49)
        await mia.say("Hallo")  # the dispatcher's run after this update prunes
        async with db.session() as session:
            kept = sorted(m.message_id for m in await session.scalars(select(ChatMessage)))
        assert kept and min(kept) > old
        await mia.say("/wis")
        tried = [m for c in calls(h, "deleteMessages") for m in c["message_ids"]]  # type: ignore[attr-defined]
        assert min(tried) > old


async def test_wis_from_a_blocked_chat_is_quiet(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        h.telegram.block(MIA.id)
        h.telegram.fail_next("deleteMessages", error_code=403)
        await mia.say("/wis")  # no exception, nothing half-done
        assert await count(db, ChatMessage) == 0


async def test_wis_also_deletes_messages_that_were_not_recorded(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await complete_intake(mia, QUESTION)
        await mia.say("/mijngegevens")  # its answer (text and a JSON file) is not recorded here
        assert len(h.telegram.sent(MIA.id)) > 8
        await mia.say("/wis")
        assert [m.get("text") for m in h.telegram.sent(MIA.id)] == ["Tot ziens."]


def test_ids_to_delete_fills_the_span_and_caps_it() -> None:
    from helpline.handlers.quick_exit import MAX_SPAN, ids_to_delete

    assert ids_to_delete([], None) == []
    assert ids_to_delete([], 7) == [7]
    assert ids_to_delete([3, 9], 12) == list(range(3, 13))
    long = ids_to_delete([5, 40], 5000)
    assert long[:2] == [5, 40] and len(long) == MAX_SPAN + 2 and long[-1] == 5000


async def test_help_tells_the_resident_about_wis(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/help")
        assert "/wis" in mia.last_text()
