"""Telegram failing under the bot: 429, 500/502, timeouts, 403, 400 — handled, nothing lost.

Each failure is injected in the fake Bot API (``FakeTelegram.fail_next``) on the path a
person would notice: the queue card, the resident's next prompt, the claimer's details,
an edit of an unchanged message, a message too long for Telegram. The error handler
(an unhandled exception) must never be reached.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlmodel import select

from helpline.app import build_application, build_services
from helpline.testing import FakeRequest, FakeTelegram, FakeUser
from helpline.testing.fake_methods import QUERY_INVALID
from storage.db import Database
from storage.models import Outbox, OutboxStatus
from tests.bot_harness import GROUP_BASE, FakeClock, Harness, complete_intake, make_settings
from tests.bot_harness import running_app as plain_app

MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"


@pytest.fixture(autouse=True)
def no_unhandled_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fails the test if the application's error handler was reached."""
    caplog.set_level(logging.INFO)
    yield
    failed = [r for r in caplog.records if r.name == "helpline.handlers.errors"]
    assert not failed, [f"{r.getMessage()} {r.exc_text}" for r in failed]


@asynccontextmanager
async def limited_app(db: Database, tmp: Path) -> AsyncIterator[Harness]:
    """The application as in production: every call through PTB's AIORateLimiter."""
    telegram, clock = FakeTelegram(), FakeClock()
    settings = make_settings(tmp, db.url, [])
    services = build_services(settings, clock=clock, db=db)
    settings.queue_chats = {q: GROUP_BASE - n for n, q in enumerate(services.config.queues)}
    app = build_application(settings, request=FakeRequest(telegram), services=services)
    services.dispatcher.per_chat_gap = 0.0  # no pacing between two test messages
    async with app:
        yield Harness(app, services, telegram, clock)


async def outbox(db: Database) -> list[Outbox]:
    async with db.session() as session:
        return list(await session.scalars(select(Outbox).order_by(Outbox.id)))  # type: ignore[arg-type]


def cards(h: Harness) -> list[str]:
    group = h.group("wijkteam_drunen")
    return [m["text"] for m in h.telegram.sent(group) if "Nieuwe vraag" in m.get("text", "")]


async def test_card_waits_for_retry_after_of_a_429_then_arrives_once(
    db: Database, tmp_path: Path
) -> None:
    async with plain_app(db, tmp_path) as h:
        h.telegram.fail_next(
            "sendMessage", error_code=429, retry_after=30, chat_id=h.group("wijkteam_drunen")
        )
        await complete_intake(h.chat(MIA), QUESTION)
        assert "HH-2026-00001" in h.chat(MIA).last_text(), "the resident is not kept waiting"
        assert cards(h) == []
        [row] = [r for r in await outbox(db) if r.purpose == "card"]
        assert row.status == OutboxStatus.pending
        assert (row.not_before - h.clock()).total_seconds() == 30  # Telegram's retry_after
        h.clock.advance(seconds=29)
        await h.services.dispatcher.run_once(h.app.bot)
        assert cards(h) == []
        h.clock.advance(seconds=2)
        await h.services.dispatcher.run_once(h.app.bot)
        await h.services.dispatcher.run_once(h.app.bot)
        assert len(cards(h)) == 1


@pytest.mark.parametrize("code", [500, 502, 0], ids=["500", "502", "timeout"])
async def test_card_is_retried_with_backoff_after_server_errors(
    db: Database, tmp_path: Path, code: int
) -> None:
    async with plain_app(db, tmp_path) as h:
        group = h.group("wijkteam_drunen")
        h.telegram.fail_next("sendMessage", error_code=code, chat_id=group, times=3)
        await complete_intake(h.chat(MIA), QUESTION)
        for _ in range(3):  # 2, 4, 8 seconds apart
            assert cards(h) == []
            h.clock.advance(seconds=10)
            await h.services.dispatcher.run_once(h.app.bot)
        assert len(cards(h)) == 1
        [row] = [r for r in await outbox(db) if r.purpose == "card"]
        assert row.status == OutboxStatus.sent and row.attempts == 4


async def test_resident_prompt_after_a_429_arrives_through_the_rate_limiter(
    db: Database, tmp_path: Path
) -> None:
    async with limited_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        h.telegram.fail_next("sendMessage", error_code=429, retry_after=1, chat_id=MIA.id)
        await mia.press("akkoord")
        assert "eigen woorden" in mia.last_text()
        sends = [c for c in h.telegram.calls if c.method == "sendMessage"]
        assert sends[-1].at - sends[-2].at >= 1.0, "PTB waited Telegram's retry_after"


@pytest.mark.parametrize("code", [502, 0], ids=["502", "timeout"])
async def test_resident_prompt_lost_to_a_server_error_comes_again(
    db: Database, tmp_path: Path, code: int
) -> None:
    async with plain_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        await mia.press("akkoord")
        h.telegram.fail_next("sendMessage", error_code=code, chat_id=MIA.id)
        await mia.say(QUESTION)  # stored; the "Gaat het over" prompt failed once
        assert "Gaat het over" in mia.last_text(), "the prompt is sent again, not lost"
        await mia.press("Ja")
        assert "welke plaats" in mia.last_text()


@pytest.mark.parametrize("code", [400, 0], ids=["too-old", "timeout"])
async def test_a_press_telegram_will_not_let_us_answer_is_still_handled(
    db: Database, tmp_path: Path, code: int
) -> None:
    # A press delivered again after a restart was answered by the run that died: Telegram
    # then says "query is too old". The answer only stops a spinner; the press counts.
    async with plain_app(db, tmp_path) as h:

        def refuse_next_answer() -> None:
            h.telegram.fail_next("answerCallbackQuery", error_code=code, description=QUERY_INVALID)

        mia = h.chat(MIA)
        await mia.say("/start")
        refuse_next_answer()
        await mia.press("akkoord")
        assert "eigen woorden" in mia.last_text()
        await mia.say(QUESTION)
        refuse_next_answer()
        await mia.press("Ja")
        assert "welke plaats" in mia.last_text()
        await mia.press("Drunen")
        await mia.share_contact("0612345678")
        await mia.press("Ochtend")
        refuse_next_answer()
        await mia.press("Versturen")
        assert "HH-2026-00001" in mia.last_text()
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        refuse_next_answer()
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        assert "U heeft HH-2026-00001" in sanne.last_text()


async def test_claimer_who_never_opened_a_private_chat_is_told_and_keeps_the_claim(
    db: Database, tmp_path: Path
) -> None:
    async with plain_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION)
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        h.telegram.block(SANNE.id)  # a 403: the bot may not start a chat with her
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        answer = h.telegram.callback_answers()[-1]
        assert "privébericht" in answer["text"] and answer.get("show_alert")
        h.telegram.unblock(SANNE.id)
        await sanne.say("/start")
        await sanne.say("/mijn")
        assert "HH-2026-00001" in sanne.last_text()


async def test_claim_pressed_again_by_the_holder_does_not_crash_on_the_unchanged_card(
    db: Database, tmp_path: Path
) -> None:
    async with plain_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION)
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        group = h.group("wijkteam_drunen")
        card = h.telegram.last_sent(group)
        await sanne.press("Oppakken", chat_id=group)
        # The same button again (an old copy of the card): the edit is "not modified".
        await sanne.feed(h.telegram.press(SANNE, card, "req:claim:1", queue=False))
        details = [m for m in h.telegram.sent(SANNE.id) if "U heeft HH-" in m["text"]]
        assert len(details) == 2, "the holder gets the details again"
        assert any(c.method == "editMessageText" for c in h.telegram.calls[-6:]), (
            "the card edit was tried (and answered 'message is not modified')"
        )


async def test_log_button_pressed_twice_is_not_an_error(db: Database, tmp_path: Path) -> None:
    async with plain_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION)
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        await sanne.say("/log")
        picker = h.telegram.last_sent(SANNE.id)
        await sanne.press("HH-2026-00001")
        # The same (old) picker button again: the edit would change nothing.
        await sanne.feed(h.telegram.press(SANNE, picker, "log:pick:1", queue=False))
        await sanne.feed(h.telegram.press(SANNE, picker, "log:pick:1", queue=False))
        assert "HH-2026-00001" in sanne.last_text()


async def test_too_long_relay_from_staff_tells_the_sender(db: Database, tmp_path: Path) -> None:
    async with plain_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION)
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        await sanne.press("Schrijven")
        seen_by_mia = len(h.telegram.sent(MIA.id))
        await sanne.say("x" * 4000)
        assert "te lang" in sanne.last_text()
        assert len(h.telegram.sent(MIA.id)) == seen_by_mia


async def test_outbox_message_too_long_for_telegram_is_failed_not_retried(
    db: Database, tmp_path: Path
) -> None:
    async with plain_app(db, tmp_path) as h:
        h.telegram.fail_next(
            "sendMessage",
            error_code=400,
            description="Bad Request: message is too long",
            chat_id=h.group("wijkteam_drunen"),
        )
        await complete_intake(h.chat(MIA), QUESTION)
        [row] = [r for r in await outbox(db) if r.purpose == "card"]
        assert row.status == OutboxStatus.failed and "too long" in (row.error or "")
        h.clock.advance(minutes=10)
        await h.services.dispatcher.run_once(h.app.bot)
        assert cards(h) == []  # a 400 is final: Telegram will never take it


async def test_queue_group_that_removed_the_bot_is_reported_to_the_coordinators(
    db: Database, tmp_path: Path
) -> None:
    async with plain_app(db, tmp_path) as h:
        h.telegram.block(h.group("wijkteam_drunen"))  # 403: the bot was kicked out
        await complete_intake(h.chat(MIA), QUESTION)
        await h.services.dispatcher.run_once(h.app.bot)
        [card] = [r for r in await outbox(db) if r.purpose == "card"]
        assert card.status == OutboxStatus.failed
        warning = h.telegram.last_sent(h.group("coordinatie"))["text"]
        assert "HH-2026-00001" in warning and "Wijkteam Drunen" in warning
        assert QUESTION not in warning
