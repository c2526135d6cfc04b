"""Building incoming updates the way Telegram sends them, and queueing them for getUpdates."""

from __future__ import annotations

import itertools
import time
from typing import Any

from helpline.testing.fake_state import FakeState, FakeUser, public

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


class UpdateBuilder(FakeState):
    """Makes update dicts and keeps the queue that getUpdates serves."""

    def __init__(self, bot_id: int, bot_username: str) -> None:
        super().__init__(bot_id, bot_username)
        self._query_ids = itertools.count(1)
        self._last_from: dict[int, int] = {}  # user id → their latest message id

    def next_update_id(self) -> int:
        """A fresh update id."""
        with self.lock:
            return next(self._update_ids)

    def _push(self, kind: str, payload: dict[str, Any], queue: bool, line: str) -> dict[str, Any]:
        with self.changed:
            update = {"update_id": self.next_update_id(), kind: payload}
            if queue:
                self._updates.append(update)
            self._log.append(line)
            self.changed.notify_all()
        return update

    def _message(self, user: FakeUser, chat_id: int | None, chat_type: str) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id if chat_id is not None else user.id}
        chat["type"] = chat_type
        if chat_type == "private":
            chat["first_name"] = user.first_name
        else:
            chat["title"] = f"Group {chat['id']}"
        self._remember_chat(chat)
        message_id = self._new_message_id(chat["id"])
        self._last_from[user.id] = message_id
        return {
            "message_id": message_id,
            "from": user.to_dict(),
            "chat": chat,
            "date": int(time.time()),
        }

    def text(
        self,
        user: FakeUser,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        queue: bool = True,
    ) -> dict[str, Any]:
        """A text message from ``user`` (a leading ``/command`` gets a bot_command entity).

        Args:
            user: Who sends it.
            text: The message text.
            chat_id: The chat; defaults to the user's private chat.
            chat_type: ``private``, ``group`` or ``supergroup``.
            queue: Also queue it for getUpdates (False: only build it).

        Returns:
            The update dict.
        """
        message = self._message(user, chat_id, chat_type) | {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0]) if text.split() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._push("message", message, queue, f"→ {user.first_name} ({user.id}): {text}")

    def press(
        self, user: FakeUser, message: dict[str, Any], data: str, *, queue: bool = True
    ) -> dict[str, Any]:
        """``user`` presses an inline button with ``data`` on a message the bot sent.

        Args:
            user: Who presses.
            message: The bot's message, as returned by ``sent()``/``last_sent()``.
            data: The button's ``callback_data``.
            queue: Also queue it for getUpdates.

        Returns:
            The update dict with a ``callback_query``.
        """
        with self.lock:  # the bot may be editing this very message from another thread
            shown = public(message)
        query = {
            "id": f"cq{next(self._query_ids)}",
            "from": user.to_dict(),
            "message": shown,
            "chat_instance": str(shown["chat"]["id"]),
            "data": data,
        }
        label = data
        for row in (shown.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button.get("callback_data") == data:
                    label = button.get("text", data)
        line = f"→ {user.first_name} ({user.id}) presses [{label}]"
        return self._push("callback_query", query, queue, line)

    def contact(self, user: FakeUser, phone_number: str, *, queue: bool = True) -> dict[str, Any]:
        """``user`` shares their own number with the contact button."""
        message = self._message(user, None, "private") | {
            "contact": {
                "phone_number": phone_number,
                "first_name": user.first_name,
                "user_id": user.id,
            }
        }
        line = f"→ {user.first_name} ({user.id}) shares a phone number"
        return self._push("message", message, queue, line)

    def media(
        self,
        user: FakeUser,
        kind: str,
        *,
        queue: bool = True,
        chat_id: int | None = None,
        chat_type: str = "private",
    ) -> dict[str, Any]:
        """A message that is not text: photo, sticker, voice, location, poll, ...

        Args:
            user: Who sends it.
            kind: photo, sticker, voice, video, document, location, animation,
                video_note, audio, poll or dice.
            queue: Also queue it for getUpdates.
            chat_id: The chat; defaults to the user's private chat.
            chat_type: ``private``, ``group`` or ``supergroup``.

        Returns:
            The update dict.
        """
        message = self._message(user, chat_id, chat_type) | {kind: _MEDIA[kind]}
        line = f"→ {user.first_name} ({user.id}) sends a {kind}"
        return self._push("message", message, queue, line)

    def edited(
        self, user: FakeUser, text: str, *, message_id: int | None = None, queue: bool = True
    ) -> dict[str, Any]:
        """An edit of one of the user's messages in their private chat.

        Args:
            user: Who edits.
            text: The new text.
            message_id: The edited message; defaults to the user's latest message.
            queue: Also queue it for getUpdates.

        Returns:
            The update dict with an ``edited_message``.
        """
        chat = {"id": user.id, "type": "private", "first_name": user.first_name}
        with self.lock:
            if message_id is None:
                message_id = self._last_from.get(user.id) or self._new_message_id(user.id)
        message = {
            "message_id": message_id,
            "from": user.to_dict(),
            "chat": chat,
            "date": int(time.time()),
            "edit_date": int(time.time()),
            "text": text,
        }
        line = f"→ {user.first_name} ({user.id}) edits a message: {text}"
        return self._push("edited_message", message, queue, line)

    def channel_post(
        self, text: str, *, chat_id: int = -1009999, queue: bool = True
    ) -> dict[str, Any]:
        """A post in a channel the bot is in."""
        chat = {"id": chat_id, "type": "channel", "title": f"Channel {chat_id}"}
        self._remember_chat(chat)
        post = {
            "message_id": self._new_message_id(chat_id),
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        return self._push("channel_post", post, queue, f"→ channel {chat_id}: {text}")

    def take_updates(self, offset: int, limit: int = 100) -> list[dict[str, Any]]:
        """Updates with id ≥ ``offset``, like getUpdates; older ones count as confirmed.

        Args:
            offset: The first update id wanted; ids below it are dropped for good.
            limit: At most this many updates.

        Returns:
            The updates, oldest first (still queued until a later offset confirms them).
        """
        with self.lock:
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            return list(self._updates[: max(1, min(limit, 100))])

    def pending_updates(self) -> int:
        """How many queued updates wait for getUpdates."""
        with self.lock:
            return len(self._updates)
