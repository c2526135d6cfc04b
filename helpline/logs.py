"""Logging set-up: ids, never content.

python-telegram-bot and httpx log whole updates and request URLs (with the bot
token) at DEBUG; those loggers are capped at INFO so a DEBUG run of the helpline
still never writes a resident's message or phone number. Tracebacks in the log are
the stack and exception types only: exception messages can carry data (SQLAlchemy
and asyncpg repeat a statement's parameters — a phone number, a question — in them).
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

# Third-party loggers that print update contents or URLs at DEBUG.
_CHATTY = ("telegram", "httpx", "httpcore", "apscheduler", "aiosqlite", "asyncio")


class SafeFormatter(logging.Formatter):
    """A formatter whose tracebacks leave out the exception messages (``safe_traceback``)."""

    def formatException(
        self,
        ei: tuple[type[BaseException], BaseException, TracebackType | None]
        | tuple[None, None, None],
    ) -> str:
        return safe_traceback(ei[1])


def setup_logging(level: str) -> None:
    """Configures the root logger and caps the chatty libraries."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    logging.getLogger().setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # every request URL holds the token


def safe_traceback(error: BaseException | None) -> str:
    """The stack and exception types of ``error`` and its causes, without their messages."""
    if error is None:
        return "(no exception)"
    chain: list[traceback.TracebackException] = []
    current: traceback.TracebackException | None = traceback.TracebackException.from_exception(
        error
    )
    while current is not None and len(chain) < 10:
        chain.append(current)
        cause = current.__cause__
        current = (
            cause
            if cause is not None
            else (None if current.__suppress_context__ else current.__context__)
        )
    parts = []
    for exc in reversed(chain):  # like Python: the first cause first
        kind = exc.exc_type
        name = f"{kind.__module__}.{kind.__qualname__}" if kind is not None else "?"
        parts.append("Traceback (most recent call last):\n" + "".join(exc.stack.format()) + name)
    return "\n\nwhich led to:\n\n".join(parts)
