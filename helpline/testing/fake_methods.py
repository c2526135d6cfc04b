"""The Bot API methods the fake answers, with Telegram's results and error texts.

Each ``_m_<method>`` takes the decoded parameters and uploaded files and returns
``(http status, JSON body)``; ``FakeTelegram.handle`` picks the method and holds
the lock. Methods without a handler answer ``{"ok": true, "result": true}``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from helpline.testing.fake_state import public
from helpline.testing.fake_updates import UpdateBuilder

MAX_TEXT = 4096
MAX_CAPTION = 1024
NOT_FOUND = "Bad Request: message to edit not found"
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"

Answer = tuple[int, dict[str, Any]]
Files = dict[str, tuple[str, bytes]]


class BotApiMethods(UpdateBuilder):
    """Handlers for the Bot API methods the helpline uses."""

    def __init__(self, bot_id: int, bot_username: str) -> None:
        super().__init__(bot_id, bot_username)
        self._blocked: set[int] = set()
        self._answered: set[str] = set()  # callback query ids answered
        self._commands: dict[str, list[dict[str, Any]]] = {}  # scope + language → commands
        self.webhook: dict[str, Any] = {}  # parameters of the last setWebhook ({} = none)

    # --- helpers ------------------------------------------------------------
    def _store(self, chat_id: int, body: dict[str, Any]) -> dict[str, Any]:
        message = {
            "message_id": self._new_message_id(chat_id),
            "from": self.bot,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **{k: v for k, v in body.items() if v is not None},
            "edits": 0,
        }
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        self._order.append((chat_id, message["message_id"]))
        return message

    def _target(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """The stored message an edit is about (None: Telegram says "not found")."""
        chat_id, message_id = as_int(params.get("chat_id")), as_int(params.get("message_id"))
        return self._messages.get(chat_id or 0, {}).get(message_id or 0)

    def _edited(self, params: dict[str, Any]) -> dict[str, Any] | Answer:
        """The stored message an edit changes, or the answer when there is none to change
        (an inline message is taken as edited; an unknown one is "not found")."""
        if params.get("inline_message_id"):
            return 200, ok(True)
        message = self._target(params)
        return error(400, NOT_FOUND) if message is None else message

    # --- methods ------------------------------------------------------------
    def _m_getMe(self, params: dict[str, Any], files: Files) -> Answer:
        return 200, ok(self.bot)

    def _m_getChat(self, params: dict[str, Any], files: Files) -> Answer:
        chat_id = as_int(params.get("chat_id"))
        if chat_id is None:
            return error(400, "Bad Request: chat not found")
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        info = self._chat(chat_id) | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }
        return 200, ok(info)

    def _m_answerCallbackQuery(self, params: dict[str, Any], files: Files) -> Answer:
        # Telegram takes one answer per button press; a second one is refused.
        query_id = str(params.get("callback_query_id") or "")
        if query_id in self._answered:
            return error(400, QUERY_INVALID)
        self._answered.add(query_id)
        return 200, ok(True)

    def _m_sendMessage(self, params: dict[str, Any], files: Files) -> Answer:
        chat_id = as_int(params.get("chat_id"))
        text = str(params.get("text") or "")
        if chat_id is None:
            return error(400, "Bad Request: chat not found")
        if not text.strip():
            return error(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            return error(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        message = self._store(chat_id, {"text": text, "reply_markup": markup})
        self._log.append(f"← {chat_id}: {text}{buttons(markup)}")
        return 200, ok(public(message))

    def _m_sendDocument(self, params: dict[str, Any], files: Files) -> Answer:
        return self._send_file("document", params, files)

    def _m_sendPhoto(self, params: dict[str, Any], files: Files) -> Answer:
        return self._send_file("photo", params, files)

    def _send_file(self, kind: str, params: dict[str, Any], files: Files) -> Answer:
        chat_id = as_int(params.get("chat_id"))
        caption = params.get("caption")
        if chat_id is None:
            return error(400, "Bad Request: chat not found")
        if caption is not None and len(str(caption)) > MAX_CAPTION:
            return error(400, "Bad Request: message caption is too long")
        if files:
            name, data = files.get(kind) or next(iter(files.values()))
        elif isinstance(params.get(kind), str):  # a file_id or URL: nothing uploaded
            name, data = str(params[kind]).rsplit("/", 1)[-1], b""
        else:
            return error(400, f"Bad Request: there is no {kind} in the request")
        number = len(self._order) + 1
        file: dict[str, Any] = {"file_id": f"{kind}{number}", "file_unique_id": f"u{kind}{number}"}
        file["file_size"] = len(data)
        if kind == "photo":
            body: dict[str, Any] = {"photo": [file | {"width": 800, "height": 600}]}
        else:
            body = {"document": file | {"file_name": name}}
        markup = params.get("reply_markup")
        body |= {"caption": caption, "reply_markup": markup, "content": data, "filename": name}
        message = self._store(chat_id, body)
        shown = f"[{kind} {name}, {len(data)} bytes]" + (f" {caption}" if caption else "")
        self._log.append(f"← {chat_id}: {shown}{buttons(markup)}")
        return 200, ok(public(message))

    def _m_editMessageText(self, params: dict[str, Any], files: Files) -> Answer:
        message = self._edited(params)
        if not isinstance(message, dict):
            return message
        chat_id = message["chat"]["id"]
        text, markup = str(params.get("text") or ""), params.get("reply_markup")
        if not text.strip():
            return error(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            return error(400, "Bad Request: MESSAGE_TOO_LONG")
        if text == message.get("text") and markup == _inline(message):
            return error(400, "Bad Request: message is not modified")
        message["text"] = text
        self._set_markup(message, markup)
        self._log.append(f"← {chat_id} (edited): {text}{buttons(markup)}")
        return 200, ok(public(message))

    def _m_editMessageReplyMarkup(self, params: dict[str, Any], files: Files) -> Answer:
        message = self._edited(params)
        if not isinstance(message, dict):
            return message
        chat_id = message["chat"]["id"]
        markup = params.get("reply_markup")
        if markup == _inline(message):
            return error(400, "Bad Request: message is not modified")
        self._set_markup(message, markup)
        shown = message.get("text") or message.get("caption") or ""
        self._log.append(f"← {chat_id} (edited): {shown}{buttons(markup)}")
        return 200, ok(public(message))

    @staticmethod
    def _set_markup(message: dict[str, Any], markup: Any) -> None:
        # Edits replace (or drop) the inline keyboard; a reply keyboard belongs to the chat.
        if markup or _inline(message) is not None:
            message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        message["edits"] = message.get("edits", 0) + 1

    def _delete(self, chat_id: int, message_id: int) -> bool:
        """Deletes a bot message or an incoming one; False if there is no such message."""
        gone = self._deleted.setdefault(chat_id, [])
        if self._messages.get(chat_id, {}).pop(message_id, None) is not None:
            gone.append(message_id)
            return True
        known = 0 < message_id <= self._last_message_id.get(chat_id, 0)
        is_bots = any(c == chat_id and m == message_id for c, m in self._order)
        if known and not is_bots and message_id not in gone:  # a message someone else sent
            gone.append(message_id)
            return True
        return False

    def _m_deleteMessage(self, params: dict[str, Any], files: Files) -> Answer:
        chat_id, message_id = as_int(params.get("chat_id")), as_int(params.get("message_id"))
        if chat_id is None or message_id is None or not self._delete(chat_id, message_id):
            return error(400, "Bad Request: message to delete not found")
        self._log.append(f"← {chat_id}: [deleted message {message_id}]")
        return 200, ok(True)

    def _m_deleteMessages(self, params: dict[str, Any], files: Files) -> Answer:
        chat_id = as_int(params.get("chat_id"))
        ids = [as_int(m) for m in params.get("message_ids") or []]
        if chat_id is None or not ids or None in ids:
            return error(400, "Bad Request: message identifiers are not specified")
        # Telegram skips messages it cannot find.
        done = [m for m in ids if m is not None and self._delete(chat_id, m)]
        if done:
            self._log.append(f"← {chat_id}: [deleted messages {', '.join(map(str, done))}]")
        return 200, ok(True)

    def _m_setMyCommands(self, params: dict[str, Any], files: Files) -> Answer:
        self._commands[scope_key(params)] = list(params.get("commands") or [])
        return 200, ok(True)

    def _m_getMyCommands(self, params: dict[str, Any], files: Files) -> Answer:
        return 200, ok(self._commands.get(scope_key(params), []))

    def _m_deleteMyCommands(self, params: dict[str, Any], files: Files) -> Answer:
        self._commands.pop(scope_key(params), None)
        return 200, ok(True)

    def _m_setWebhook(self, params: dict[str, Any], files: Files) -> Answer:
        # Telegram insists on https; the fake accepts the http://127.0.0.1 urls of the tests.
        self.webhook = dict(params) if params.get("url") else {}
        return 200, ok(True)

    def _m_deleteWebhook(self, params: dict[str, Any], files: Files) -> Answer:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return 200, ok(True)

    def _m_getWebhookInfo(self, params: dict[str, Any], files: Files) -> Answer:
        info = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        return 200, ok(info)

    def _m_getUpdates(self, params: dict[str, Any], files: Files) -> Answer:
        if self.webhook:
            return error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = as_int(params.get("offset")) or 0
        limit = as_int(params.get("limit")) or 100
        return 200, ok(self.take_updates(offset, limit))


def _inline(message: dict[str, Any]) -> dict[str, Any] | None:
    markup = message.get("reply_markup")
    return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None


def scope_key(params: dict[str, Any]) -> str:
    """The key under which setMyCommands stores a command list (scope and language)."""
    scope = params.get("scope") or {"type": "default"}
    return f"{json.dumps(scope, sort_keys=True)}|{params.get('language_code') or ''}"


def as_int(value: Any) -> int | None:
    """``value`` as an int (chat ids may arrive as strings), or None."""
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def ok(result: Any) -> dict[str, Any]:
    """A successful Bot API answer."""
    return {"ok": True, "result": result}


def error(code: int, description: str, retry_after: int | None = None) -> Answer:
    """A failed Bot API answer; 429 carries ``parameters.retry_after`` like Telegram's."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if code == 429:
        wait = retry_after or 1
        body["description"] = description or f"Too Many Requests: retry after {wait}"
        body["parameters"] = {"retry_after": wait}
    return code, body


def buttons(markup: Any) -> str:
    """`` [buttons: A | B]`` (inline) or `` [keyboard: A | B]`` (reply keyboard), or ``""``."""
    if not isinstance(markup, dict):
        return ""
    inline = [b.get("text", "") for row in markup.get("inline_keyboard", []) for b in row]
    if inline:
        return f" [buttons: {' | '.join(inline)}]"
    keys = [
        b.get("text", "") if isinstance(b, dict) else str(b)
        for row in markup.get("keyboard", [])
        for b in row
    ]
    return f" [keyboard: {' | '.join(keys)}]" if keys else ""
