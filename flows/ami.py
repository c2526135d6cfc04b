"""Asterisk Manager Interface (AMI) events as call events: pure, no connection.

An inbound call in Asterisk is several channels that share a ``Linkedid``: the caller's
channel (its ``Uniqueid`` is the ``Linkedid``), created in an inbound dialplan context,
and one channel per phone it rings. Three events are enough:

- ``Newchannel`` of the caller's channel → ``ringing`` (caller = ``CallerIDNum``, line =
  ``Exten``), when its ``Context`` is one of the line's inbound contexts; other calls
  (internal, outbound) are ignored.
- ``BridgeEnter`` of another channel of that call → ``answered``, by the extension in
  that channel's name (``PJSIP/201-00000002`` → ``201``, ``Local/201@from-queue-…`` →
  ``201``), which maps to staff by their phone extension.
- ``Hangup`` of the caller's channel → ``ended``, with Asterisk's cause code read as the
  generic CTI cause (16 is a normal clearing after an answer, a caller giving up before).

The tracker remembers the calls it saw ring, at most ``MAX_OPEN_CALLS`` (the oldest is
forgotten first: its hangup is then ignored and the stale-call upkeep closes it).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flows.telephony import MAX_CALL_ID, CallEvent, CallEventKind, phone_number

MAX_OPEN_CALLS = 10_000
DEFAULT_INBOUND_CONTEXTS = ("from-trunk", "from-pstn", "from-external", "from-did")
# Asterisk's hangup cause codes (Q.850) as the generic CTI causes; 16 depends on whether
# the call was answered (see ``_cause``), anything else unknown is "other".
_CAUSES = {
    1: "notFound",
    3: "notFound",
    17: "busy",
    18: "noAnswer",
    19: "noAnswer",
    21: "cancel",
    34: "congestion",
    38: "congestion",
    41: "congestion",
    42: "congestion",
}
# PJSIP/201-00000002, SIP/201-0000abcd, IAX2/201-123, Local/201@from-queue-00000001;2
_CHANNEL = re.compile(r"^[A-Za-z0-9]+/(?P<name>[^@;/]+?)(?:-[0-9a-fA-F]+)?(?:[@;].*)?$")


@dataclass
class _Call:
    from_number: str | None
    to_number: str | None
    answered_by: str | None = None


def extension_of(channel: str) -> str | None:
    """The device or extension a channel name is for (``PJSIP/201-00000002`` → ``201``)."""
    found = _CHANNEL.match(channel.strip())
    return found.group("name")[:64] if found else None


class AmiTracker:
    """Turns the AMI event stream into call events, one call per ``Linkedid``."""

    def __init__(self, inbound_contexts: Iterable[str] = DEFAULT_INBOUND_CONTEXTS) -> None:
        self.inbound_contexts = frozenset(c.strip() for c in inbound_contexts if c.strip())
        self._calls: OrderedDict[str, _Call] = OrderedDict()

    def feed(self, message: Mapping[str, str], now: datetime) -> CallEvent | None:
        """The call event an AMI event means, or None (most events mean nothing here)."""
        kind = message.get("Event")
        unique = message.get("Uniqueid") or ""
        linked = message.get("Linkedid") or unique
        if not linked or len(linked) > MAX_CALL_ID:
            return None
        if kind == "Newchannel" and unique == linked:
            return self._ringing(message, linked, now)
        call = self._calls.get(linked)
        if call is None:
            return None
        if kind == "BridgeEnter" and unique != linked and call.answered_by is None:
            call.answered_by = extension_of(message.get("Channel") or "") or "?"
            return self._event(linked, call, CallEventKind.answered, now)
        if kind == "Hangup" and unique == linked:
            del self._calls[linked]
            return self._event(linked, call, CallEventKind.ended, now, self._cause(message, call))
        return None

    def _ringing(self, message: Mapping[str, str], linked: str, now: datetime) -> CallEvent | None:
        if message.get("Context") not in self.inbound_contexts or linked in self._calls:
            return None
        call = _Call(
            from_number=phone_number(message.get("CallerIDNum")),
            to_number=phone_number(message.get("Exten")),
        )
        self._calls[linked] = call
        while len(self._calls) > MAX_OPEN_CALLS:
            self._calls.popitem(last=False)
        return self._event(linked, call, CallEventKind.ringing, now)

    @staticmethod
    def _cause(message: Mapping[str, str], call: _Call) -> str:
        try:
            code = int(message.get("Cause") or 0)
        except ValueError:
            code = 0
        if code in (0, 16):  # a normal end: of a conversation, or of a caller giving up
            return "normalClearing" if call.answered_by else "cancel"
        return _CAUSES.get(code, "other")

    @staticmethod
    def _event(
        linked: str, call: _Call, kind: CallEventKind, now: datetime, cause: str | None = None
    ) -> CallEvent:
        return CallEvent(
            provider="ami",
            call_id=linked,
            event=kind,
            from_number=call.from_number,
            to_number=call.to_number,
            direction="inbound",
            at=now,
            answered_by=call.answered_by,
            cause=cause,
        )
