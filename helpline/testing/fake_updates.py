"""Building incoming updates the way Telegram sends them, and queueing them for getUpdates."""

from __future__ import annotations

import itertools
import time
from typing import Any

# A message kind → the field Telegram fills in for it.
_MEDIA: dict[str, Any] = {
    "photo": [{"file_id": "p1", "file_unique_id": "p1", "width": 90, "height": 90}],
    "sticker": {
        "file_id": "s1",
        "file_unique_id": "s1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    },
    "voice": {"file_id": "v1", "file_unique_id": "v1", "duration": 3},
    "video": {"file_id": "vd", "file_unique_id": "vd", "width": 1, "height": 1, "duration": 1},
    "video_note": {"file_id": "vn", "file_unique_id": "vn", "length": 1, "duration": 1},
    "audio": {"file_id": "a1", "file_unique_id": "a1", "duration": 1},
    "document": {"file_id": "d1", "file_unique_id": "d1", "file_name": "brief.pdf"},
    "animation": {"file_id": "an", "file_unique_id": "an", "width": 1, "height": 1, "duration": 1},
    "location": {"latitude": 51.67, "longitude": 5.13},
    "dice": {"emoji": "🎲", "value": 3},
    "poll": {
        "id": "1",
        "question": "?",
        "options": [{"text": "a", "voter_count": 0}],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
    },
}


class UpdateBuilder:
    """Makes update dicts and keeps the queue that getUpdates serves."""

    bot: dict[str, Any]

    def __init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._incoming_ids = itertools.count(100_000)

    def next_update_id(self) -> int:
        """A fresh update id."""
        return next(self._update_ids)

    def _queued(self, update: dict[str, Any], line: str) -> None:  # overridden by FakeTelegram
        del update, line

    def _push(self, update: dict[str, Any], queue: bool, line: str) -> dict[str, Any]:
        if queue:
            with self.lock:  # type: ignore[attr-defined]
                self._updates.append(update)
        self._queued(update, line)
        return update

    def _message(self, user: Any, chat_id: int | None, chat_type: str) -> dict[str, Any]:
        chat = {"id": chat_id if chat_id is not None else user.id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = user.first_name
        else:
            chat["title"] = "Groep"
        return {
            "message_id": next(self._incoming_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user.to_dict(),
        }

    def text(
        self,
        user: Any,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        queue: bool = True,
    ) -> dict[str, Any]:
        """A text message from ``user`` (commands get a bot_command entity)."""
        message = self._message(user, chat_id, chat_type) | {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0]) if text.split() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        update = {"update_id": self.next_update_id(), "message": message}
        return self._push(update, queue, f"→ {user.first_name} ({user.id}): {text[:200]}")

    def press(
        self, user: Any, message: dict[str, Any], data: str, *, queue: bool = True
    ) -> dict[str, Any]:
        """``user`` presses an inline button with ``data`` on a message the bot sent."""
        shown = {k: v for k, v in message.items() if k not in ("edits", "content")}
        query = {
            "id": str(self.next_update_id()),
            "from": user.to_dict(),
            "chat_instance": str(shown["chat"]["id"]),
            "data": data,
            "message": shown,
        }
        update = {"update_id": self.next_update_id(), "callback_query": query}
        label = data
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button.get("callback_data") == data:
                    label = button.get("text", data)
        return self._push(update, queue, f"→ {user.first_name} ({user.id}) presses [{label}]")

    def contact(self, user: Any, phone_number: str, *, queue: bool = True) -> dict[str, Any]:
        """``user`` shares their own number with the contact button."""
        message = self._message(user, None, "private") | {
            "contact": {
                "phone_number": phone_number,
                "first_name": user.first_name,
                "user_id": user.id,
            }
        }
        update = {"update_id": self.next_update_id(), "message": message}
        return self._push(update, queue, f"→ {user.first_name} ({user.id}) shares a phone number")

    def media(
        self,
        user: Any,
        kind: str,
        *,
        queue: bool = True,
        chat_id: int | None = None,
        chat_type: str = "private",
    ) -> dict[str, Any]:
        """A photo, sticker, voice note, location, ... (see ``_MEDIA``)."""
        message = self._message(user, chat_id, chat_type) | {kind: _MEDIA[kind]}
        update = {"update_id": self.next_update_id(), "message": message}
        return self._push(update, queue, f"→ {user.first_name} ({user.id}) sends a {kind}")

    def edited(self, user: Any, text: str, *, queue: bool = True) -> dict[str, Any]:
        """An edit of an earlier message."""
        message = self._message(user, None, "private") | {
            "text": text,
            "edit_date": int(time.time()),
        }
        update = {"update_id": self.next_update_id(), "edited_message": message}
        return self._push(update, queue, f"→ {user.first_name} ({user.id}) edits a message")

    def channel_post(
        self, text: str, *, chat_id: int = -1009999, queue: bool = True
    ) -> dict[str, Any]:
        """A post in a channel the bot is in."""
        post = {
            "message_id": next(self._incoming_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "channel", "title": "Kanaal"},
            "text": text,
        }
        update = {"update_id": self.next_update_id(), "channel_post": post}
        return self._push(update, queue, f"→ channel {chat_id}: {text[:80]}")

    def take_updates(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """Updates with id ≥ offset (older ones are confirmed and dropped), like getUpdates."""
        with self.lock:  # type: ignore[attr-defined]
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            return list(self._updates[:limit])

    def pending_updates(self) -> int:
        """How many queued updates wait for getUpdates."""
        with self.lock:  # type: ignore[attr-defined]
            return len(self._updates)
