"""The state the fake Bot API keeps: people, chats, messages, the update queue.

``FakeTelegram`` is assembled from this base, the update builders
(``fake_updates``) and the method handlers (``fake_methods``); they share the
attributes declared here and one re-entrant lock.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

# Keys the fake keeps on a stored message for the tests; never sent to the bot.
PRIVATE_KEYS = ("edits", "content", "filename")


@dataclass
class FakeUser:
    """A Telegram user; their private chat id is their user id."""

    id: int
    first_name: str
    language_code: str | None = "nl"
    username: str | None = None
    last_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The Telegram ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for name in ("last_name", "username", "language_code"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data


@dataclass
class ApiCall:
    """One Bot API call the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeState:
    """Everything the fake server remembers; guarded by ``lock``."""

    def __init__(self, bot_id: int, bot_username: str) -> None:
        self.bot: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Helpline",
            "username": bot_username,
        }
        self.calls: list[ApiCall] = []
        self.lock = threading.RLock()
        # Notified on every change (a call, a queued update) so waiters can re-check.
        self.changed = threading.Condition(self.lock)
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}  # chat → id → bot message
        self._order: list[tuple[int, int]] = []  # (chat, message id) in send order
        self._last_message_id: dict[int, int] = {}  # shared by incoming and sent messages
        self._first_message_id = 1
        self._deleted: dict[int, list[int]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._log: list[str] = []

    def start_message_ids_at(self, first: int) -> None:
        """Numbers the messages of every chat not seen yet from ``first``: a new fake on a
        database that remembers an earlier fake's messages, as Telegram never reuses an
        id within a chat."""
        with self.lock:
            self._first_message_id = first

    def _new_message_id(self, chat_id: int) -> int:
        """The next message id in ``chat_id`` (ids are per chat and increase)."""
        with self.lock:
            message_id = self._last_message_id.get(chat_id, self._first_message_id - 1) + 1
            self._last_message_id[chat_id] = message_id
            return message_id

    def _remember_chat(self, chat: dict[str, Any]) -> None:
        with self.lock:
            self._chats[int(chat["id"])] = dict(chat)

    def _chat(self, chat_id: int) -> dict[str, Any]:
        """The ``Chat`` object for ``chat_id``, as seen in updates or guessed from the id."""
        with self.lock:
            if chat_id in self._chats:
                return dict(self._chats[chat_id])
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}

    def _note(self, line: str) -> None:
        """Adds a transcript line and wakes up waiters."""
        with self.changed:
            self._log.append(line)
            self.changed.notify_all()


def public(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as Telegram would return it (without the fake's bookkeeping).

    Reply keyboards are kept on the stored message for the tests, but Telegram only
    ever returns inline keyboards on a ``Message``.
    """
    shown = {k: v for k, v in message.items() if k not in PRIVATE_KEYS}
    markup = shown.get("reply_markup")
    if not (isinstance(markup, dict) and "inline_keyboard" in markup):
        shown.pop("reply_markup", None)
    return shown
