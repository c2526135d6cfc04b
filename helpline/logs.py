"""Logging set-up: ids, never content.

python-telegram-bot and httpx log whole updates and request URLs (with the bot
token) at DEBUG; those loggers are capped at INFO so a DEBUG run of the helpline
still never writes a resident's message or phone number.
"""

from __future__ import annotations

import logging
import sys

# Third-party loggers that print update contents or URLs at DEBUG.
_CHATTY = ("telegram", "httpx", "httpcore", "apscheduler", "aiosqlite", "asyncio")


def setup_logging(level: str) -> None:
    """Configures the root logger and caps the chatty libraries."""
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger().setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # every request URL holds the token
