"""Call events from a telephone exchange, read into one normalised ``CallEvent``.

Two adapters, both pure (no network, no database): the generic CTI webhook in Zammad's
format (form-encoded or JSON: ``event=newCall|answer|hangup``) and VoIPGRID's call
notifications (JSON, as Voys and other VoIPGRID-based providers send them). What a
provider sends that cannot be read raises ``PayloadError`` with a reason that names
no number, so the edge can log it and answer 400.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

from flows.errors import PayloadError
from flows.phone import normalise_phone

MAX_CALL_ID = 250  # Zammad's limit; VoIPGRID's ids are far shorter
MAX_FIELD = 120
# What exchanges put in "from" when the caller hides their number.
WITHHELD = frozenset(
    {"", "anonymous", "anoniem", "unknown", "onbekend", "restricted", "private", "withheld"}
)
CTI_CAUSES = frozenset(
    {"normalClearing", "busy", "cancel", "noAnswer", "congestion", "notFound", "forwarded"}
)


class CallEventKind(StrEnum):
    """Where a call is: ringing (not yet answered), answered, ended."""

    ringing = "ringing"
    answered = "answered"
    ended = "ended"


@dataclass(frozen=True)
class CallEvent:
    """One event of one call, the same for every provider.

    ``from_number``/``to_number`` are E.164, or None for a withheld or unreadable number
    (an internal extension, for instance); ``answered_by`` is the exchange's name for
    who answered (an extension such as ``201``, a login or a name), mapped to staff by
    their phone extension; ``cause`` is set on ``ended`` when the exchange says why.
    """

    provider: str
    call_id: str
    event: CallEventKind
    from_number: str | None
    to_number: str | None
    direction: str  # inbound | outbound
    at: datetime
    answered_by: str | None = None
    cause: str | None = None


def phone_number(raw: object) -> str | None:
    """A caller's number as E.164; None for withheld, empty or unreadable numbers.

    Exchanges write numbers many ways: ``0416 123456``, ``06-12345678``,
    ``+31612345678``, ``0031612345678`` and, in Zammad's examples, ``31612345678``
    (the country code without ``+`` or ``00``).
    """
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        return None
    text = str(raw).strip()
    if text.casefold() in WITHHELD:
        return None
    found = normalise_phone(text)
    digits = "".join(ch for ch in text if ch.isdigit())
    if found is None and digits == text and not text.startswith("0") and len(text) >= 10:
        found = normalise_phone("+" + text)
    return found


def _text(value: object, name: str, *, required: bool = False, limit: int = MAX_FIELD) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if value is None or value == "":
        if required:
            raise PayloadError(f"missing {name}")
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{name} is not text")
    if len(value) > limit or any(ord(ch) < 32 for ch in value):
        raise PayloadError(f"{name} is too long or not one line")
    return value.strip()


# --- Generic CTI (Zammad's format) ---------------------------------------------------------

_CTI_EVENTS = {
    "newCall": CallEventKind.ringing,
    "answer": CallEventKind.answered,
    "hangup": CallEventKind.ended,
}
_CTI_DIRECTIONS = {"in": "inbound", "out": "outbound"}


def cti_fields(body: bytes, content_type: str) -> dict[str, list[str]]:
    """The fields of a CTI body, form-encoded (``user[]`` repeated) or JSON, as lists."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("body is not UTF-8") from None
    if "json" in content_type.casefold():
        data = _json_object(text)
        fields: dict[str, list[str]] = {}
        for key, value in data.items():
            values = value if isinstance(value, list) else [value]
            fields[key] = [_text(v, key) for v in values]
        return fields
    try:
        return parse_qs(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=50)
    except ValueError:
        raise PayloadError("body is not form-encoded") from None


def parse_cti(fields: Mapping[str, list[str]], *, now: datetime) -> CallEvent:
    """A generic CTI webhook (``newCall``, ``answer``, ``hangup``) as a ``CallEvent``.

    The CTI format carries no time: the event happened ``now``. An unknown hangup
    ``cause`` is kept as ``other`` rather than refused: losing the end of a call is worse.
    """

    def one(name: str, *, required: bool = False, limit: int = MAX_FIELD) -> str:
        values = fields.get(name) or []
        return _text(values[0] if values else None, name, required=required, limit=limit)

    kind = _CTI_EVENTS.get(one("event", required=True))
    if kind is None:
        raise PayloadError("unknown event")
    direction = _CTI_DIRECTIONS.get(one("direction", required=True))
    if direction is None:
        raise PayloadError("direction must be in or out")
    call_id = one("callId", required=True, limit=MAX_CALL_ID)
    users = [_text(u, "user[]") for u in fields.get("user[]", fields.get("user", []))]
    answered_by = None
    if kind is CallEventKind.answered:
        answered_by = one("answeringNumber") or next((u for u in users if u), "") or None
    cause = None
    if kind is CallEventKind.ended:
        raw = one("cause")
        cause = (raw if raw in CTI_CAUSES else "other") if raw else None
        answered_by = one("answeringNumber") or None
    return CallEvent(
        provider="cti",
        call_id=call_id,
        event=kind,
        from_number=phone_number(one("from")),
        to_number=phone_number(one("to")),
        direction=direction,
        at=now,
        answered_by=answered_by,
        cause=cause,
    )


# --- VoIPGRID call notifications ----------------------------------------------------------

_VOIPGRID_STATUS = {
    "created": CallEventKind.ringing,
    "ringing": CallEventKind.ringing,
    "in-progress": CallEventKind.answered,
    "answered": CallEventKind.answered,
    "ended": CallEventKind.ended,
    "hangup": CallEventKind.ended,
}
_VOIPGRID_DIRECTIONS = {
    "inbound": "inbound",
    "outbound": "outbound",
    "in": "inbound",
    "out": "outbound",
}


def _json_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        raise PayloadError("body is not JSON") from None
    if not isinstance(data, dict):
        raise PayloadError("body is not a JSON object")
    return data


def _part(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{name} is not an object")
    return value


def _timestamp(value: object, now: datetime) -> datetime:
    if value in (None, ""):
        return now
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        raise PayloadError("timestamp is not a time")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError("timestamp is not an ISO 8601 time") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def parse_voipgrid(body: bytes, *, now: datetime) -> CallEvent:
    """A VoIPGRID call notification (JSON) as a ``CallEvent``.

    ``status`` ringing → ringing, in-progress → answered (by the first of
    ``destination.targets``), ended → ended. A version other than 1.x is refused:
    its fields may mean something else.
    """
    try:
        data = _json_object(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise PayloadError("body is not UTF-8") from None
    version = _text(data.get("version"), "version")
    if version and version.split(".")[0] != "1":
        raise PayloadError("unsupported version")
    call_id = _text(data.get("call_id"), "call_id", required=True, limit=MAX_CALL_ID)
    kind = _VOIPGRID_STATUS.get(_text(data.get("status"), "status", required=True))
    if kind is None:
        raise PayloadError("unknown status")
    direction = _VOIPGRID_DIRECTIONS.get(_text(data.get("direction"), "direction", required=True))
    if direction is None:
        raise PayloadError("direction must be inbound or outbound")
    caller, destination = _part(data, "caller"), _part(data, "destination")
    targets = destination.get("targets") or []
    if not isinstance(targets, list) or not all(isinstance(t, dict) for t in targets):
        raise PayloadError("destination.targets is not a list of objects")
    answered_by = None
    if kind is CallEventKind.answered and targets:
        first = targets[0]
        for key in ("account_number", "number", "name"):
            answered_by = _text(first.get(key), f"targets.{key}") or None
            if answered_by:
                break
    return CallEvent(
        provider="voipgrid",
        call_id=call_id,
        event=kind,
        from_number=phone_number(caller.get("number")),
        to_number=phone_number(destination.get("number")),
        direction=direction,
        at=_timestamp(data.get("timestamp"), now),
        answered_by=answered_by,
        cause=(_text(data.get("reason"), "reason") or None)
        if kind is CallEventKind.ended
        else None,
    )
