"""Building blocks shared by the conversations: inputs, replies and buttons.

These are plain data: the Telegram edge turns updates into inputs and replies
into Bot API calls, so the flows never import ``telegram``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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


def rows(buttons: list[Button], per_row: int) -> tuple[tuple[Button, ...], ...]:
    """Lays buttons out in rows of ``per_row`` (big buttons: 1 or 2 per row)."""
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


_CALLBACK = re.compile(r"^([a-z]{1,8}):([a-z0-9_]{1,32}):([A-Za-z0-9_-]{1,20})$")


def parse_callback(data: str) -> tuple[str, str, str] | None:
    """Splits ``ns:action:value`` callback data; None for anything malformed or forged."""
    match = _CALLBACK.match(data or "")
    return (match.group(1), match.group(2), match.group(3)) if match else None


def has_words(text: str) -> bool:
    """True when the text holds at least one letter or digit (not only emoji or symbols)."""
    return any(ch.isalnum() for ch in text)
