"""The resident's replies: sent as ``send_message`` sends them, reading only the new id."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from helpline import safe_send
from helpline.safe_send import send_retrying
from helpline.testing import FakeRequest, FakeTelegram, FakeTelegramServer, FakeUser

ANNA = FakeUser(id=123, first_name="Anna")
MARKUPS = [
    None,
    InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="in:consent:yes")]]),
    ReplyKeyboardMarkup([["Drunen", "Vlijmen"]], one_time_keyboard=True, resize_keyboard=True),
]


@pytest.fixture(params=["in-process", "http"])
async def front(request: pytest.FixtureRequest) -> AsyncIterator[tuple[FakeTelegram, Bot]]:
    core = FakeTelegram()
    if request.param == "in-process":
        transport = FakeRequest(core)
        async with Bot(core.token, request=transport, get_updates_request=transport) as bot:
            yield core, bot
        return
    with FakeTelegramServer(core) as server:
        async with Bot(core.token, base_url=server.base_url) as bot:
            yield core, bot


@pytest.mark.parametrize("markup", MARKUPS, ids=["plain", "inline", "reply keyboard"])
async def test_the_request_is_the_one_send_message_makes(
    front: tuple[FakeTelegram, Bot], markup: InlineKeyboardMarkup | None
) -> None:
    core, bot = front
    by_ptb = await bot.send_message(ANNA.id, "Wilt u hulp? Ö €", reply_markup=markup)
    ours = await send_retrying(bot, ANNA.id, "Wilt u hulp? Ö €", markup)
    first, second = core.calls[-2:]
    assert (first.method, second.method) == ("sendMessage", "sendMessage")
    assert second.params == first.params
    assert ours == by_ptb.message_id + 1 == core.last_sent(ANNA.id)["message_id"]


async def test_a_bad_gateway_is_tried_again_a_refusal_is_raised(
    front: tuple[FakeTelegram, Bot], monkeypatch: pytest.MonkeyPatch
) -> None:
    core, bot = front
    monkeypatch.setattr(safe_send, "PAUSE_SECONDS", 0.0)
    core.fail_next("sendMessage", error_code=502)
    assert await send_retrying(bot, ANNA.id, "Hallo") == core.last_sent(ANNA.id)["message_id"]
    core.fail_next("sendMessage", error_code=502, times=safe_send.ATTEMPTS)
    with pytest.raises(Exception, match="Bad Gateway"):
        await send_retrying(bot, ANNA.id, "Hallo")
    with pytest.raises(BadRequest):
        await send_retrying(bot, ANNA.id, " ")
    core.block(ANNA.id)
    with pytest.raises(Forbidden):
        await send_retrying(bot, ANNA.id, "Hallo")
    assert [c.method for c in core.calls].count("sendMessage") == 1 + 1 + 3 + 1 + 1
