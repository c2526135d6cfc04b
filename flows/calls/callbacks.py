"""Callback data of the call buttons, built and parsed in one place (≤ 64 bytes).

``call:<step>:<id>[:<value>]`` for the people who plan and make calls,
``cal:<step>:<alert id>[:<action>]`` for coordinators closing a telefooncirkel alert,
``cr:<step>:<call id>`` for the resident's answer to a reminder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.conversation import MAX_CALLBACK_BYTES

CALL_PATTERN = r"^call:[a-z]{2,6}:\d{1,12}(:[a-z0-9_]{1,16})?$"
ALERT_PATTERN = r"^cal:[a-z]{2,8}:\d{1,12}(:[a-z0-9_]{1,32})?$"
RESIDENT_PATTERN = r"^cr:(nofit|stop):\d{1,12}$"

_PARSE = re.compile(r"^(call|cal|cr):([a-z]{2,8}):(\d{1,12})(?::([a-z0-9_]{1,32}))?$")


@dataclass(frozen=True)
class CallData:
    """One parsed press: namespace, step, the row id and an optional value."""

    namespace: str
    step: str
    id: int
    value: str = ""


def data(namespace: str, step: str, row_id: int | None, value: str = "") -> str:
    """Builds callback data; raises ValueError when it would not fit Telegram's 64 bytes."""
    text = f"{namespace}:{step}:{row_id or 0}" + (f":{value}" if value else "")
    if len(text.encode()) > MAX_CALLBACK_BYTES or _PARSE.match(text) is None:
        raise ValueError(f"bad callback data {text!r}")
    return text


def parse(raw: str | None) -> CallData | None:
    """Parses call, alert and resident button data; None for anything malformed or forged."""
    match = _PARSE.match(raw or "")
    if match is None:
        return None
    return CallData(match[1], match[2], int(match[3]), match[4] or "")
