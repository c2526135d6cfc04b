"""What one call event did, for the edge that received it (webhooks, AMI)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PopEdit:
    """A pop Telegram shows (or is being sent: no ``message_id`` yet), to be edited to ``text``.

    The edge edits it; for a pop in flight it waits for the outbox to note its message id.
    """

    chat_id: int
    message_id: int | None
    text: str
    outbox_id: int


@dataclass
class CallOutcome:
    """What one event did: ``changed`` is False for a repeat."""

    changed: bool = False
    pops: int = 0
    edits: list[PopEdit] = field(default_factory=list)
