"""An in-memory Telegram Bot API server, shared by the in-process and HTTP fronts.

It answers Bot API methods the way Telegram does (message objects, error codes,
``retry_after``), records every call, queues incoming updates for ``getUpdates``,
and can be told to fail: a blocked chat (403), flood control (429), server errors,
timeouts. Thread-safe: the HTTP front calls it from its own threads.

    FakeState                 chats, messages, the update queue, the lock   (fake_state)
     └── UpdateBuilder        text(), press(), contact(), media(), ...      (fake_updates)
          └── BotApiMethods   sendMessage, editMessageText, getUpdates, ... (fake_methods)
               └── FakeTelegram   handle(), what the bot did, failure injection
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helpline.testing.fake_methods import Answer, BotApiMethods, as_int, error, ok, scope_key
from helpline.testing.fake_state import ApiCall, FakeUser

__all__ = ["TIMEOUT_DESCRIPTION", "ApiCall", "FakeTelegram", "FakeUser"]

# The description of an injected timeout (error_code 0): FakeRequest raises TimedOut on it,
# the HTTP front sends it as a 504.
TIMEOUT_DESCRIPTION = "Gateway Timeout: the fake Bot API simulates a timeout"

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
    504: "Gateway Timeout",
}

# Methods that put something in a chat, and so fail with 403 once the user blocked the bot.
_SENDING = ("send", "edit", "copy", "forward", "pin")


@dataclass
class _Failure:
    method: str
    error_code: int
    description: str
    retry_after: int | None
    chat_id: int | None
    times: int


class FakeTelegram(BotApiMethods):
    """The fake server's state and its API: chats, messages, updates, failures.

    Attributes:
        token: The bot token the HTTP front accepts.
        calls: Every Bot API call, in order (getUpdates only if ``record_get_updates``).
        webhook: The parameters of the last setWebhook (``{}`` when there is none).
    """

    def __init__(
        self,
        bot_id: int = 7000001,
        bot_username: str = "helpline_test_bot",
        token: str = "123456:TEST",
    ) -> None:
        super().__init__(bot_id, bot_username)
        self.token = token
        self.record_get_updates = False
        self._failures: list[_Failure] = []
        # Called with each call and its answer before the answer goes back to the bot: a
        # test can act at that moment (e.g. SIGKILL the bot after Telegram accepted a message).
        self.after_call: Callable[[ApiCall, Answer], None] | None = None

    # --- the API --------------------------------------------------------------
    def handle(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> Answer:
        """Answers one Bot API call.

        Args:
            method: The Bot API method, e.g. ``sendMessage``.
            params: Decoded parameters (numbers as numbers, ``reply_markup`` as a dict).
            files: Uploaded files by field name: ``(filename, bytes)``.

        Returns:
            The HTTP status and the Telegram JSON answer.
        """
        params = copy.deepcopy(params)
        call = ApiCall(method, params)
        with self.changed:
            if method != "getUpdates" or self.record_get_updates:
                self.calls.append(call)
            try:
                answer = self._answer(method, params, files or {})
            finally:
                self.changed.notify_all()
        if self.after_call is not None:
            self.after_call(call, answer)
        return answer

    def _answer(self, method: str, params: dict[str, Any], files: dict[str, Any]) -> Answer:
        failure = self._take_failure(method, params)
        if failure is not None:
            if failure.error_code == 0:
                return error(504, TIMEOUT_DESCRIPTION)
            code = failure.error_code
            description = failure.description or _DEFAULT_DESCRIPTIONS.get(code, "")
            return error(code, description or f"Error {code}", failure.retry_after)
        chat_id = as_int(params.get("chat_id"))
        if method.startswith(_SENDING) and chat_id in self._blocked:
            return error(403, "Forbidden: bot was blocked by the user")
        handler: Callable[..., Answer] | None = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 200, ok(True)
        try:
            return handler(params, files)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return error(400, f"Bad Request: invalid parameters ({exc!r})")

    # --- what the bot did -----------------------------------------------------
    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent and did not delete, as they are now (after edits), in order.

        Args:
            chat_id: Only this chat (None: all chats).

        Returns:
            Snapshots of the message dicts: ``message_id``, ``chat``, ``text`` (or
            ``document``/``photo`` and ``caption``), ``reply_markup`` (reply keyboards too),
            ``edits`` (how often edited) and, for files, ``filename`` and ``content`` (the
            uploaded bytes).
        """
        with self.lock:
            return [
                dict(self._messages[c][m])
                for c, m in self._order
                if (chat_id is None or c == chat_id) and m in self._messages.get(c, {})
            ]

    def last_sent(self, chat_id: int) -> dict[str, Any]:
        """The newest message the bot sent in ``chat_id``; AssertionError if there is none."""
        messages = self.sent(chat_id)
        if not messages:
            with self.lock:
                chats = sorted({c for c, _ in self._order})
            raise AssertionError(f"the bot sent nothing to chat {chat_id} (it did send to {chats})")
        return messages[-1]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """A snapshot of a sent message as it is now; KeyError if deleted or never sent."""
        with self.lock:
            return dict(self._messages[chat_id][message_id])

    def deleted(self, chat_id: int) -> list[int]:
        """Ids of the messages the bot deleted in ``chat_id``, in order."""
        with self.lock:
            return list(self._deleted.get(chat_id, []))

    def callback_answers(self) -> list[dict[str, Any]]:
        """The parameters of every answerCallbackQuery call."""
        with self.lock:
            return [c.params for c in self.calls if c.method == "answerCallbackQuery"]

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The command list set with setMyCommands for ``scope`` (default scope)."""
        key = scope_key({"scope": scope, "language_code": language_code})
        with self.lock:
            return list(self._commands.get(key, []))

    def transcript(self) -> list[str]:
        """The conversation as readable lines, in order.

        ``→ Anna (123): text`` for what people send or press, ``← 123: text [buttons: A | B]``
        for what the bot sends (``← 123 (edited): ...`` for edits, ``[keyboard: ...]`` for
        reply keyboards, ``[document name, N bytes]`` for files).
        """
        with self.lock:
            return list(self._log)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Blocks until ``predicate()`` holds; for tests against the HTTP front.

        Args:
            predicate: Checked under the lock after every change (and every 50 ms).
            timeout: Seconds before giving up.

        Raises:
            AssertionError: On timeout, with the end of the transcript.
        """
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = "\n".join(self._log[-10:]) or "(nothing happened)"
                    raise AssertionError(f"timed out after {timeout}s; last lines:\n{tail}")
                self.changed.wait(min(left, 0.05))

    # --- failure injection ----------------------------------------------------
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
        """Makes the next ``times`` calls of ``method`` fail.

        Args:
            method: The Bot API method, e.g. ``sendMessage``.
            error_code: 429, 403, 400, 502, ...; 0 simulates a timeout (``TimedOut``
                in-process, a 504 over HTTP).
            description: Telegram's error text (a realistic default per code).
            retry_after: Seconds for a 429 (default 1).
            chat_id: Only calls for this chat.
            times: How many calls fail.
        """
        with self.lock:
            self._failures.append(
                _Failure(method, error_code, description, retry_after, chat_id, times)
            )

    def block(self, chat_id: int) -> None:
        """From now on, sending to ``chat_id`` answers 403 (the user blocked the bot)."""
        with self.lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """The user unblocked the bot again."""
        with self.lock:
            self._blocked.discard(chat_id)

    def _take_failure(self, method: str, params: dict[str, Any]) -> _Failure | None:
        for failure in self._failures:
            wanted_chat = (
                failure.chat_id is None or as_int(params.get("chat_id")) == failure.chat_id
            )
            if failure.method == method and wanted_chat:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None
