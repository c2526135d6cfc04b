"""An in-memory Telegram Bot API server state, shared by the in-process and HTTP fronts.

It answers Bot API methods the way Telegram does (message objects, error codes,
``retry_after``), records every call, queues incoming updates for ``getUpdates``,
and can be told to fail: a blocked chat (403), flood control (429), server errors.
Thread-safe: the HTTP front calls it from its own threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from helpline.testing.fake_updates import UpdateBuilder

MAX_TEXT = 4096


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
        for name in ("language_code", "username", "last_name"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data


@dataclass
class ApiCall:
    """One Bot API call the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Failure:
    method: str
    error_code: int
    description: str
    retry_after: int | None
    chat_id: int | None
    times: int


class FakeTelegram(UpdateBuilder):
    """The fake server's state: chats, messages, updates, failures."""

    def __init__(
        self, bot_id: int = 7000001, bot_username: str = "helpline_test_bot", token: str = ""
    ) -> None:
        super().__init__()
        self.token = token or f"{bot_id}:TEST-TOKEN"
        self.bot = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Helpline",
            "username": bot_username,
        }
        self.calls: list[ApiCall] = []
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}  # chat → id → message
        self._order: list[tuple[int, int]] = []  # (chat, message id) in send order
        self._next_id: dict[int, int] = {}
        self._deleted: dict[int, list[int]] = {}
        self._blocked: set[int] = set()
        self._failures: list[_Failure] = []
        self._log: list[str] = []
        self.webhook: dict[str, Any] = {}

    # --- incoming updates -------------------------------------------------
    def _queued(self, update: dict[str, Any], line: str) -> None:
        with self.changed:
            self._log.append(line)
            self.changed.notify_all()

    # --- what the bot did -------------------------------------------------
    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent (current state after edits), in order."""
        with self.lock:
            return [
                self._messages[c][m]
                for c, m in self._order
                if (chat_id is None or c == chat_id) and m in self._messages.get(c, {})
            ]

    def last_sent(self, chat_id: int) -> dict[str, Any]:
        """The newest message the bot sent in ``chat_id``."""
        messages = self.sent(chat_id)
        if not messages:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return messages[-1]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """A sent message as it is now."""
        with self.lock:
            return self._messages[chat_id][message_id]

    def deleted(self, chat_id: int) -> list[int]:
        """Ids of messages the bot deleted in ``chat_id``."""
        with self.lock:
            return list(self._deleted.get(chat_id, []))

    def callback_answers(self) -> list[dict[str, Any]]:
        """The parameters of every answerCallbackQuery call."""
        with self.lock:
            return [c.params for c in self.calls if c.method == "answerCallbackQuery"]

    def transcript(self) -> list[str]:
        """Readable lines: what people sent (→) and what the bot sent or edited (←)."""
        with self.lock:
            return list(self._log)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Waits until ``predicate()`` holds (for tests against the HTTP front)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for the bot")
                self.changed.wait(min(left, 0.05))

    # --- failure injection ------------------------------------------------
    def fail_next(
        self,
        method: str,
        *,
        error_code: int,
        description: str = "",
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Makes the next ``times`` calls of ``method`` fail (error_code 0: a timeout)."""
        with self.lock:
            self._failures.append(
                _Failure(method, error_code, description, retry_after, chat_id, times)
            )

    def block(self, chat_id: int) -> None:
        """From now on, sending to ``chat_id`` answers 403 (the user blocked the bot)."""
        with self.lock:
            self._blocked.add(chat_id)

    def _take_failure(self, method: str, params: dict[str, Any]) -> _Failure | None:
        for failure in self._failures:
            chat_ok = failure.chat_id is None or _int(params.get("chat_id")) == failure.chat_id
            if failure.method == method and chat_ok and failure.times > 0:
                failure.times -= 1
                return failure
        return None

    # --- the API ----------------------------------------------------------
    def handle(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answers one Bot API call: (HTTP status, Telegram JSON)."""
        with self.changed:
            if method != "getUpdates":
                self.calls.append(ApiCall(method, dict(params)))
            failure = self._take_failure(method, params)
            if failure is not None:
                return _error(failure.error_code or 504, failure.description, failure.retry_after)
            handler = getattr(self, f"_m_{method}", None)
            result = handler(params, files or {}) if handler else (200, _ok(True))
            self.changed.notify_all()
            return result

    def _m_getMe(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        return 200, _ok(self.bot)

    def _chat(self, chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}

    def _store(self, chat_id: int, body: dict[str, Any]) -> dict[str, Any]:
        message_id = self._next_id.get(chat_id, 0) + 1
        self._next_id[chat_id] = message_id
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot,
            **body,
        }
        self._messages.setdefault(chat_id, {})[message_id] = message
        self._order.append((chat_id, message_id))
        return message

    def _sendable(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | int:
        chat_id = _int(params.get("chat_id"))
        if chat_id is None:
            return _error(400, "Bad Request: chat_id is empty")
        if chat_id in self._blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _m_sendMessage(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        chat_id = self._sendable(params)
        if not isinstance(chat_id, int):
            return chat_id
        text = str(params.get("text") or "")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            return _error(400, "Bad Request: message is too long")
        body: dict[str, Any] = {"text": text}
        markup = params.get("reply_markup")
        # Telegram returns only inline keyboards on the message; reply keyboards stay client-side.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            body["reply_markup"] = markup
        message = self._store(chat_id, body)
        self._log.append(f"← {chat_id}: {text}{_buttons(params.get('reply_markup'))}")
        return 200, _ok(message)

    def _m_sendDocument(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        chat_id = self._sendable(params)
        if not isinstance(chat_id, int):
            return chat_id
        name, data = next(iter(files.values()), ("file", b""))
        document = {
            "file_id": f"doc{len(self._order)}",
            "file_unique_id": "u",
            "file_name": name,
            "file_size": len(data),
        }
        message = self._store(
            chat_id, {"document": document, "caption": params.get("caption"), "content": data}
        )
        self._log.append(f"← {chat_id}: [document {name}, {len(data)} bytes]")
        return 200, _ok({k: v for k, v in message.items() if k != "content"})

    _m_sendPhoto = _m_sendDocument

    def _m_editMessageText(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        chat_id, message_id = _int(params.get("chat_id")), _int(params.get("message_id"))
        message = self._messages.get(chat_id or 0, {}).get(message_id or 0)
        if message is None:
            return _error(400, "Bad Request: message to edit not found")
        text, markup = str(params.get("text") or ""), params.get("reply_markup")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if text == message.get("text") and markup == message.get("reply_markup"):
            return _error(400, "Bad Request: message is not modified")
        message["text"] = text
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edits"] = message.get("edits", 0) + 1
        self._log.append(f"← {chat_id} (edited): {text}{_buttons(markup)}")
        return 200, _ok(message)

    def _m_editMessageReplyMarkup(
        self, params: dict[str, Any], files: Any
    ) -> tuple[int, dict[str, Any]]:
        chat_id, message_id = _int(params.get("chat_id")), _int(params.get("message_id"))
        message = self._messages.get(chat_id or 0, {}).get(message_id or 0)
        if message is None:
            return _error(400, "Bad Request: message to edit not found")
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return 200, _ok(message)

    def _m_deleteMessage(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        chat_id, message_id = _int(params.get("chat_id")) or 0, _int(params.get("message_id")) or 0
        if self._messages.get(chat_id, {}).pop(message_id, None) is None:
            return _error(400, "Bad Request: message to delete not found")
        self._deleted.setdefault(chat_id, []).append(message_id)
        return 200, _ok(True)

    def _m_deleteMessages(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        chat_id = _int(params.get("chat_id")) or 0
        for message_id in params.get("message_ids") or []:
            if self._messages.get(chat_id, {}).pop(int(message_id), None) is not None:
                self._deleted.setdefault(chat_id, []).append(int(message_id))
        return 200, _ok(True)

    def _m_setWebhook(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        self.webhook = dict(params)
        return 200, _ok(True)

    def _m_getWebhookInfo(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        return 200, _ok(
            {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": 0,
            }
        )

    def _m_getUpdates(self, params: dict[str, Any], files: Any) -> tuple[int, dict[str, Any]]:
        offset = _int(params.get("offset")) or 0
        limit = _int(params.get("limit")) or 100
        return 200, _ok(self.take_updates(offset, limit))


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def _error(
    code: int, description: str, retry_after: int | None = None
) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": code,
        "description": description or str(code),
    }
    if code == 429:
        body["parameters"] = {"retry_after": retry_after or 1}
        body["description"] = description or f"Too Many Requests: retry after {retry_after or 1}"
    return code, body


def _buttons(markup: Any) -> str:
    if not isinstance(markup, dict):
        return ""
    labels = [b.get("text", "") for row in markup.get("inline_keyboard", []) for b in row]
    labels += [
        b.get("text", "") if isinstance(b, dict) else str(b)
        for row in markup.get("keyboard", [])
        for b in row
    ]
    return f"  [{' | '.join(labels)}]" if labels else ""
