"""Turning the flows' plain replies into Telegram markup, and Telegram input into flow input."""

from __future__ import annotations

import json
from functools import lru_cache

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from flows.conversation import Button, ButtonIn, CommandIn, ContactIn, Input, OtherIn, Reply, TextIn

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None

# Message content we cannot read, by the attribute Telegram fills in.
_MEDIA_KINDS = (
    "photo",
    "sticker",
    "voice",
    "video",
    "video_note",
    "audio",
    "document",
    "animation",
    "location",
    "venue",
    "poll",
    "dice",
    "game",
    "story",
    "contact",
)


@lru_cache(maxsize=512)
def inline_markup(buttons: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of flow buttons.

    Kept for reuse (PTB's objects are immutable): an intake shows the same few keyboards
    to every resident, and building one costs more than the rest of sending it."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in buttons]
    )


def reply_markup(reply: Reply) -> Markup:
    """The Telegram keyboard a reply asks for."""
    if reply.buttons:
        return inline_markup(reply.buttons)
    if reply.contact_keyboard is not None:
        return _contact_keyboard(*reply.contact_keyboard)
    if reply.remove_keyboard:
        return _REMOVE_KEYBOARD
    return None


_REMOVE_KEYBOARD = ReplyKeyboardRemove()


@lru_cache(maxsize=16)
def _contact_keyboard(share: str, chat_only: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(share, request_contact=True)], [KeyboardButton(chat_only)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def wire_markup(reply: Reply) -> str | None:
    """The keyboard a reply asks for as the Bot API's JSON, which ``safe_send`` sends as it
    is (like an outbox row's stored keyboard): built once per distinct keyboard."""
    return _wire(reply.buttons, reply.contact_keyboard, reply.remove_keyboard)


@lru_cache(maxsize=512)
def _wire(
    buttons: tuple[tuple[Button, ...], ...], contact: tuple[str, str] | None, remove: bool
) -> str | None:
    markup = reply_markup(Reply("", buttons, contact, remove))
    return None if markup is None else json.dumps(markup.to_dict())


def command_name(text: str) -> str:
    """``/Start@helpline_bot extra`` → ``start``."""
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].casefold() if text[1:] else ""


def to_input(update: Update) -> Input:
    """Translates a resident's update into the intake's input."""
    if update.callback_query is not None:
        return ButtonIn(update.callback_query.data or "")
    message: Message | None = update.effective_message
    if message is None:
        return OtherIn("unknown")
    if message.contact is not None:
        own = message.contact.user_id is not None and message.contact.user_id == (
            update.effective_user.id if update.effective_user else None
        )
        return ContactIn(message.contact.phone_number, own)
    if message.text is not None:
        if message.text.startswith("/"):
            return CommandIn(command_name(message.text))
        return TextIn(message.text)
    for kind in _MEDIA_KINDS:
        if getattr(message, kind, None):
            return OtherIn(kind)
    return OtherIn("other")
