"""The fake Bot API answers a real ``telegram.Bot`` like Telegram does, in-process and over HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from helpline.testing import FakeRequest, FakeTelegram, FakeTelegramServer, FakeUser
from helpline.testing.fake_server import parse_body
from tests.bot_helpers import FRONTS, Front, bot_front, http_bot

ANNA = FakeUser(id=123, first_name="Anna")
BOB = FakeUser(id=456, first_name="Bob", language_code="en")
CHOICES = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Ja", callback_data="q:yes"),
            InlineKeyboardButton("Nee", callback_data="q:no"),
        ]
    ]
)


@pytest.fixture(params=FRONTS)
async def front(request: pytest.FixtureRequest) -> AsyncIterator[Front]:
    """A real ``Bot`` talking to a fresh fake, through FakeRequest or over 127.0.0.1."""
    async with bot_front(request.param) as pair:
        yield pair


async def eventually(predicate: Callable[[], object], within: float = 3.0) -> None:
    """Waits (without blocking the loop) until ``predicate()`` is truthy."""
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


# --- sending and editing ------------------------------------------------------
async def test_get_me_returns_the_fake_bot(front: Front) -> None:
    core, bot = front
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (7000001, "helpline_test_bot", True)
    assert core.calls[-1].method == "getMe"


async def test_send_message_with_inline_keyboard_is_stored_and_returned(front: Front) -> None:
    core, bot = front
    message = await bot.send_message(ANNA.id, "Wilt u hulp?", reply_markup=CHOICES)
    assert message.reply_markup == CHOICES
    assert message.chat.type == "private" and message.from_user and message.from_user.is_bot
    stored = core.last_sent(ANNA.id)
    assert stored["message_id"] == message.message_id
    assert stored["reply_markup"]["inline_keyboard"][0][1] == {
        "text": "Nee",
        "callback_data": "q:no",
    }
    assert core.transcript()[-1] == "← 123: Wilt u hulp? [buttons: Ja | Nee]"


async def test_send_message_with_reply_keyboard_keeps_it_only_on_the_stored_message(
    front: Front,
) -> None:
    core, bot = front
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("Deel nummer", request_contact=True)]])
    message = await bot.send_message(ANNA.id, "123", reply_markup=keyboard)
    assert message.text == "123" and message.reply_markup is None  # as Telegram answers
    stored = core.last_sent(ANNA.id)
    assert stored["text"] == "123"
    assert stored["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    assert core.transcript()[-1] == "← 123: 123 [keyboard: Deel nummer]"


async def test_edit_message_text_updates_the_message_and_refuses_a_no_op(front: Front) -> None:
    core, bot = front
    sent = await bot.send_message(ANNA.id, "Wilt u hulp?", reply_markup=CHOICES)
    edited = await bot.edit_message_text("Dank u", chat_id=ANNA.id, message_id=sent.message_id)
    assert isinstance(edited, type(sent)) and edited.text == "Dank u"
    stored = core.message(ANNA.id, sent.message_id)
    assert stored["edits"] == 1 and "reply_markup" not in stored
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Dank u", chat_id=ANNA.id, message_id=sent.message_id)
    await bot.edit_message_reply_markup(ANNA.id, sent.message_id, reply_markup=CHOICES)
    assert core.message(ANNA.id, sent.message_id)["edits"] == 2
    assert core.transcript()[-2] == "← 123 (edited): Dank u"


async def test_answer_callback_query_is_recorded(front: Front) -> None:
    core, bot = front
    sent = await bot.send_message(ANNA.id, "Wilt u hulp?", reply_markup=CHOICES)
    update = Update.de_json(core.press(ANNA, core.message(ANNA.id, sent.message_id), "q:yes"), bot)
    assert update.callback_query is not None and update.callback_query.data == "q:yes"
    assert await update.callback_query.answer("Genoteerd")
    assert core.callback_answers() == [
        {"callback_query_id": update.callback_query.id, "text": "Genoteerd"}
    ]
    assert core.transcript()[-1] == "→ Anna (123) presses [Ja]"


async def test_delete_message_removes_it_once(front: Front) -> None:
    core, bot = front
    first = await bot.send_message(ANNA.id, "een")
    second = await bot.send_message(ANNA.id, "twee")
    assert await bot.delete_message(ANNA.id, first.message_id)
    assert core.deleted(ANNA.id) == [first.message_id]
    assert [m["text"] for m in core.sent(ANNA.id)] == ["twee"]
    with pytest.raises(KeyError):
        core.message(ANNA.id, first.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(ANNA.id, first.message_id)
    assert await bot.delete_messages(ANNA.id, [second.message_id, 999])
    assert core.deleted(ANNA.id) == [first.message_id, second.message_id]


async def test_send_document_records_name_size_and_bytes(front: Front) -> None:
    core, bot = front
    message = await bot.send_document(-100123, b"a;b\n1;2\n", filename="rapport.csv", caption="42")
    assert message.document is not None
    assert (message.document.file_name, message.document.file_size) == ("rapport.csv", 8)
    assert message.caption == "42"
    stored = core.last_sent(-100123)
    assert stored["content"] == b"a;b\n1;2\n" and stored["chat"]["type"] == "supergroup"
    photo = await bot.send_photo(-100123, b"\x89PNG fake", filename="grafiek.png")
    assert photo.photo[-1].file_size == 9
    assert core.last_sent(-100123)["filename"] == "grafiek.png"
    assert core.transcript()[-1] == "← -100123: [photo grafiek.png, 9 bytes]"


async def test_send_message_rejects_empty_and_too_long_texts(front: Front) -> None:
    core, bot = front
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ANNA.id, "  ")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ANNA.id, "x" * 4097)
    await bot.send_message(ANNA.id, "x" * 4096)
    assert len(core.sent(ANNA.id)) == 1


async def test_commands_webhook_and_chat(front: Front) -> None:
    core, bot = front
    await bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("stop", "Stop")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "stop"]
    assert core.commands() == [
        {"command": "start", "description": "Begin"},
        {"command": "stop", "description": "Stop"},
    ]
    await bot.set_webhook("http://127.0.0.1:8443/telegram", secret_token="geheim")
    assert core.webhook["secret_token"] == "geheim"
    assert (await bot.get_webhook_info()).url == "http://127.0.0.1:8443/telegram"
    with pytest.raises(Conflict):
        await bot.get_updates()
    await bot.delete_webhook()
    assert core.webhook == {}
    core.text(ANNA, "hallo", queue=False)
    chat = await bot.get_chat(ANNA.id)
    assert (chat.type, chat.first_name) == ("private", "Anna")


# --- updates ------------------------------------------------------------------
async def test_get_updates_honours_offset_and_limit(front: Front) -> None:
    core, bot = front
    core.text(ANNA, "/start")
    core.contact(ANNA, "+31612345678")
    core.media(BOB, "sticker")
    first_two = await bot.get_updates(limit=2)
    assert [u.effective_user.id for u in first_two if u.effective_user] == [ANNA.id, ANNA.id]
    assert first_two[0].message and first_two[0].message.text == "/start"
    assert first_two[0].message.entities[0].type == "bot_command"
    assert first_two[1].message and first_two[1].message.contact
    rest = await bot.get_updates(offset=first_two[-1].update_id + 1)
    assert len(rest) == 1 and rest[0].message and rest[0].message.sticker
    assert await bot.get_updates(offset=rest[0].update_id + 1) == ()
    assert core.pending_updates() == 0


async def test_get_updates_waits_for_an_update_queued_meanwhile(front: Front) -> None:
    core, bot = front
    asyncio.get_running_loop().call_later(0.1, core.text, BOB, "hello")
    started = time.monotonic()
    updates = await bot.get_updates(timeout=3)
    assert time.monotonic() - started < 2
    assert [u.message.text for u in updates if u.message] == ["hello"]


def test_message_ids_are_per_chat_and_shared_with_incoming_messages() -> None:
    core = FakeTelegram()
    first = core.text(ANNA, "hallo")["message"]["message_id"]
    status, answer = core.handle("sendMessage", {"chat_id": ANNA.id, "text": "Dag Anna"})
    assert status == 200 and answer["result"]["message_id"] == first + 1
    assert core.text(BOB, "hi")["message"]["message_id"] == 1
    assert core.handle("setChatMenuButton", {}) == (200, {"ok": True, "result": True})
    assert [c.method for c in core.calls] == ["sendMessage", "setChatMenuButton"]


async def test_application_polls_the_fake_and_replies() -> None:
    core = FakeTelegram()
    app = (
        ApplicationBuilder()
        .token(core.token)
        .request(FakeRequest(core))
        .get_updates_request(FakeRequest(core))
        .build()
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        core.text(ANNA, "hallo")
        await eventually(lambda: core.sent(ANNA.id))
        await app.updater.stop()
        await app.stop()
    assert core.transcript() == ["→ Anna (123): hallo", "← 123: echo: hallo"]
    assert core.pending_updates() == 0


# --- failures -----------------------------------------------------------------
async def test_flood_control_surfaces_as_retry_after(
    front: Front, monkeypatch: pytest.MonkeyPatch
) -> None:
    core, bot = front
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    core.fail_next("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ANNA.id, "hallo")
    assert caught.value.retry_after == timedelta(seconds=7)
    await bot.send_message(ANNA.id, "hallo")  # only the next call failed


@pytest.mark.parametrize(
    ("code", "error", "text"),
    [
        (403, Forbidden, "bot was blocked by the user"),
        (400, BadRequest, "Injected failure"),
        (502, NetworkError, "Bad Gateway"),
    ],
)
async def test_injected_errors_surface_as_ptb_exceptions(
    front: Front, code: int, error: type[Exception], text: str
) -> None:
    core, bot = front
    core.fail_next("sendMessage", error_code=code, chat_id=ANNA.id, times=2)
    await bot.send_message(BOB.id, "niet getroffen")
    for _ in range(2):
        with pytest.raises(error, match=text):
            await bot.send_message(ANNA.id, "hallo")
    await bot.send_message(ANNA.id, "weer goed")
    assert [m["text"] for m in core.sent()] == ["niet getroffen", "weer goed"]


async def test_blocked_chat_answers_forbidden_from_then_on(front: Front) -> None:
    core, bot = front
    await bot.send_message(ANNA.id, "hallo")
    core.block(ANNA.id)
    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(ANNA.id, "hallo?")
    await bot.send_message(BOB.id, "hallo")


async def test_injected_timeout(front: Front) -> None:
    core, bot = front
    core.fail_next("sendMessage", error_code=0)
    in_process = isinstance(bot.request, FakeRequest)
    # In-process PTB sees its own TimedOut; over HTTP the fake answers 504 Gateway Timeout.
    with pytest.raises(TimedOut if in_process else NetworkError):
        await bot.send_message(ANNA.id, "hallo")


async def test_http_front_refuses_a_wrong_token() -> None:
    core = FakeTelegram()
    with FakeTelegramServer(core) as server:
        bot = http_bot(core, server, token="999:WRONG")
        with pytest.raises(InvalidToken):
            await bot.initialize()
    assert core.calls == []


def test_form_fields_are_decoded_but_free_text_stays_a_string() -> None:
    body = (
        b"chat_id=123&text=42&caption=true&disable_notification=true"
        b"&reply_markup=%7B%22inline_keyboard%22%3A%5B%5D%7D&parse_mode=HTML"
    )
    params, files = parse_body("application/x-www-form-urlencoded", body)
    assert params == {
        "chat_id": 123,
        "text": "42",
        "caption": "true",
        "disable_notification": True,
        "reply_markup": {"inline_keyboard": []},
        "parse_mode": "HTML",
    }
    assert files == {}
