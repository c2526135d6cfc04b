"""Replies and edits as PTB's own methods make them, without building the answer's Message."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from telegram import (
    CallbackQuery,
    Chat,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    User,
)
from telegram.error import BadRequest, Forbidden

from flows.conversation import Button, Reply
from helpline import safe_send
from helpline.render import reply_markup, wire_markup
from helpline.safe_send import edit_pressed, send_retrying
from helpline.testing import FakeUser
from tests.bot_helpers import FRONTS, Front, bot_front

ANNA = FakeUser(id=123, first_name="Anna")
MARKUPS = [
    None,
    InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="in:consent:yes")]]),
    ReplyKeyboardMarkup([["Drunen", "Vlijmen"]], one_time_keyboard=True, resize_keyboard=True),
]


@pytest.fixture(params=FRONTS)
async def front(request: pytest.FixtureRequest) -> AsyncIterator[Front]:
    async with bot_front(request.param) as pair:
        yield pair


@pytest.mark.parametrize("markup", MARKUPS, ids=["plain", "inline", "reply keyboard"])
async def test_the_request_is_the_one_send_message_makes(
    front: Front, markup: InlineKeyboardMarkup | None
) -> None:
    core, bot = front
    by_ptb = await bot.send_message(ANNA.id, "Wilt u hulp? Ö €", reply_markup=markup)
    ours = await send_retrying(bot, ANNA.id, "Wilt u hulp? Ö €", markup)
    wired = None if markup is None else json.dumps(markup.to_dict())  # an outbox row's form
    as_stored = await send_retrying(bot, ANNA.id, "Wilt u hulp? Ö €", wired)
    first, second, third = core.calls[-3:]
    assert {first.method, second.method, third.method} == {"sendMessage"}
    assert second.params == first.params == third.params
    assert ours == by_ptb.message_id + 1 == as_stored - 1
    assert as_stored == core.last_sent(ANNA.id)["message_id"]


@pytest.mark.parametrize(
    "reply",
    [
        Reply("Kies", ((Button("Ja", "in:consent:yes"), Button("Nee", "in:consent:no")),)),
        Reply("Nummer?", contact_keyboard=("Deel mijn nummer", "Alleen chatten")),
        Reply("Dank u", remove_keyboard=True),
        Reply("Alleen tekst"),
    ],
    ids=["inline", "contact", "remove", "none"],
)
def test_a_replys_keyboard_on_the_wire_is_ptbs(reply: Reply) -> None:
    markup = reply_markup(reply)
    wired = wire_markup(reply)
    assert (None if markup is None else markup.to_dict()) == (wired and json.loads(wired))
    assert wire_markup(reply) is wired  # built once


async def test_a_bad_gateway_is_tried_again_a_refusal_is_raised(
    front: Front, monkeypatch: pytest.MonkeyPatch
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


async def test_an_edit_of_the_pressed_message_is_the_one_ptb_makes(
    front: Front, caplog: pytest.LogCaptureFixture
) -> None:
    core, bot = front
    markup = MARKUPS[1]
    sent = await bot.send_message(ANNA.id, "Kaart", reply_markup=markup)
    query = CallbackQuery("1", User(ANNA.id, "Anna", False), "instance", message=sent)
    query.set_bot(bot)
    await query.edit_message_text("Kaart (gezien)", reply_markup=markup)
    await edit_pressed(query, "Kaart (genomen)", markup)
    by_ptb, ours = core.calls[-2:]
    assert ours.method == by_ptb.method == "editMessageText"
    assert ours.params == by_ptb.params | {"text": "Kaart (genomen)"}
    await edit_pressed(query, "Kaart (genomen)")  # no buttons: they are removed
    assert core.last_sent(ANNA.id)["text"] == "Kaart (genomen)"
    assert "reply_markup" not in core.last_sent(ANNA.id)
    await edit_pressed(query, "Kaart (genomen)")  # a double press: "not modified", no error
    old = CallbackQuery(
        "2",
        User(ANNA.id, "Anna", False),
        "instance",
        message=InaccessibleMessage(Chat(ANNA.id, "private"), sent.message_id),
    )
    old.set_bot(bot)
    calls = len(core.calls)
    with caplog.at_level("INFO"):
        await edit_pressed(old, "Te laat")
    assert len(core.calls) == calls and "no longer accessible" in caplog.text
