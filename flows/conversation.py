"""Building blocks shared by the conversations: inputs, replies and buttons.

These are plain data: the Telegram edge turns updates into inputs and replies
into Bot API calls, so the flows never import ``telegram``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import NamedTuple

MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class TextIn:
    """The resident typed text."""

    text: str


@dataclass(frozen=True)
class ButtonIn:
    """The resident pressed an inline button carrying ``data``."""

    data: str


@dataclass(frozen=True)
class ContactIn:
    """The resident shared a contact card; ``own`` when it is their own number."""

    phone: str
    own: bool


@dataclass(frozen=True)
class OtherIn:
    """Anything we cannot read: a photo, sticker, voice note, location, ..."""

    kind: str


@dataclass(frozen=True)
class CommandIn:
    """A slash command, e.g. ``start`` for ``/start``."""

    name: str


Input = TextIn | ButtonIn | ContactIn | OtherIn | CommandIn


@dataclass(frozen=True)
class Button:
    """An inline button: a label and namespaced callback data (≤ 64 bytes)."""

    label: str
    data: str

    def __post_init__(self) -> None:
        if len(self.data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {self.data!r}")


@dataclass(frozen=True)
class Reply:
    """A message to send: text plus either inline buttons or a contact keyboard."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    # A reply keyboard with (share-my-number label, chat-only label).
    contact_keyboard: tuple[str, str] | None = None
    remove_keyboard: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def markup_json(buttons: tuple[tuple[Button, ...], ...]) -> str:
    """Rows of inline buttons as the JSON of Telegram's inline keyboard, for outbox rows.

    Use cases store this; the dispatcher hands it to Telegram as it is.
    """
    keyboard = [[{"callback_data": b.data, "text": b.label} for b in row] for row in buttons]
    return json.dumps({"inline_keyboard": keyboard})


def rows(buttons: list[Button], per_row: int) -> tuple[tuple[Button, ...], ...]:
    """Lays buttons out in rows of ``per_row`` (big buttons: 1 or 2 per row)."""
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


# The value may be a configured key ("wijkwinkel_oudheusden"), not only a number.
_CALLBACK = re.compile(r"^([a-z]{1,8}):([a-z0-9_]{1,32}):([A-Za-z0-9_-]{1,40})$")


class Callback(NamedTuple):
    """One parsed press: ``namespace:action:value`` (e.g. ``case:write:42``)."""

    namespace: str
    action: str
    value: str


def parse_callback(data: str) -> Callback | None:
    """Splits ``ns:action:value`` callback data; None for anything malformed or forged."""
    match = _CALLBACK.match(data or "")
    return Callback(match.group(1), match.group(2), match.group(3)) if match else None


def callback(namespace: str, action: str, value: str | int | None) -> str:
    """Builds ``namespace:action:value`` callback data that ``parse_callback`` reads back.

    Raises:
        ValueError: when the data would not parse back to the same three parts (a
            character or length the rule refuses), or for a row without an id (None):
            such a button could never be answered; or for data over Telegram's 64 bytes.
    """
    if value is None:
        raise ValueError(f"callback data {namespace}:{action}: without a value")
    data = f"{namespace}:{action}:{value}"
    if parse_callback(data) != (namespace, action, str(value)):
        raise ValueError(f"callback data does not parse back: {data!r}")
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def has_words(text: str) -> bool:
    """True when the text holds at least one letter or digit (not only emoji or symbols)."""
    return any(ch.isalnum() for ch in text)
