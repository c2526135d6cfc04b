"""The error handler: ids and the traceback, never content; a kind word to the user.

A failure is logged, and reported to the staff chat ``ERROR_CHAT_ID`` when that is
set, with only: the update id, chat id, user id, the update's kind (and a button's
namespace, ``req`` of ``req:claim:42``), the handler that failed, and the traceback.

The traceback is the stack (files, lines, functions, code) and the exception types —
not the exception messages: those can carry data (SQLAlchemy puts a statement's
parameters, a resident's phone number or text among them, into its message).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any

from telegram import Update
from telegram.error import TelegramError

from helpline.logs import safe_traceback
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)

MAX_REPORT = 4000  # Telegram takes 4096 characters
MAX_REPORTS_PER_MINUTE = 20  # an error storm must not flood the staff chat
_UPDATE_KINDS = ("message", "edited_message", "callback_query", "channel_post", "my_chat_member")


def update_ids(update: object) -> dict[str, Any]:
    """The ids of an update and its kind: nothing a person wrote."""
    if not isinstance(update, Update):
        return {"update": None, "chat": None, "user": None, "kind": type(update).__name__}
    kind = next((k for k in _UPDATE_KINDS if getattr(update, k, None) is not None), "other")
    if update.callback_query is not None:
        namespace = (update.callback_query.data or "").split(":", 1)[0][:16]
        kind = f"callback_query ({namespace or '-'})"
    return {
        "update": update.update_id,
        "chat": update.effective_chat.id if update.effective_chat else None,
        "user": update.effective_user.id if update.effective_user else None,
        "kind": kind,
    }


def handler_name(context: HelplineContext, update: object) -> str:
    """The callback that handles this update (the first matching handler), or the job."""
    if context.job is not None:
        return f"job {context.job.name}"
    if not isinstance(update, Update):
        return "-"
    for group in sorted(context.application.handlers):
        for handler in context.application.handlers[group]:
            try:
                matched = handler.check_update(update)
            except Exception:  # a check that fails is not the one we look for
                continue
            if matched not in (None, False):
                callback = handler.callback
                return f"{callback.__module__}.{callback.__qualname__}"
    return "-"


class _Throttle:
    """At most ``limit`` reports per minute; counts what it held back."""

    def __init__(self, limit: int) -> None:
        self.limit, self.sent, self.held_back = limit, deque[float](), 0

    def allow(self) -> bool:
        now = time.monotonic()
        while self.sent and now - self.sent[0] > 60:
            self.sent.popleft()
        if len(self.sent) >= self.limit:
            self.held_back += 1
            return False
        self.sent.append(now)
        return True


_throttle = _Throttle(MAX_REPORTS_PER_MINUTE)


def error_report(context: HelplineContext, update: object) -> str:
    """The text for the staff error chat: header, ids, handler, traceback (cut from the top)."""
    ids = update_ids(update)
    services = context.services
    header = services.texts("error_report_header", services.staff_language)
    lines = [
        header,
        f"update {ids['update']} · chat {ids['chat']} · user {ids['user']}",
        f"{ids['kind']} · {handler_name(context, update)}",
    ]
    if _throttle.held_back:
        lines.append(f"(+{_throttle.held_back} earlier reports held back)")
    head = "\n".join(lines) + "\n\n"
    trace = safe_traceback(context.error)
    room = MAX_REPORT - len(head)
    if len(trace) > room:
        trace = "…" + trace[-(room - 1) :]  # the end of a traceback says the most
    return head + trace


async def on_error(update: object, context: HelplineContext) -> None:
    """Logs and reports the failure by ids only, and apologises to the user."""
    ids = update_ids(update)
    logger.error(
        "update %s in chat %s (user %s, %s) failed:\n%s",
        ids["update"],
        ids["chat"],
        ids["user"],
        ids["kind"],
        safe_traceback(context.error),
    )
    services = context.services
    report_chat = services.settings.error_chat_id
    if report_chat is not None and _throttle.allow():
        text = error_report(context, update)
        _throttle.held_back = 0
        try:
            await context.bot.send_message(report_chat, text)
        except TelegramError:
            logger.warning("could not report the error to chat %s", report_chat)
    chat_id = ids["chat"]
    if chat_id is None or not isinstance(update, Update):
        return
    if update.effective_chat is not None and update.effective_chat.type != "private":
        return
    text = services.texts("error", services.settings.default_language)
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError:
        logger.warning("could not apologise in chat %s", chat_id)
