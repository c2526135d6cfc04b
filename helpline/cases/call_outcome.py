"""What one call event did, for the edge that received it (webhooks, AMI), and the call
row every event, inbound or outbound, is first recorded on."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from flows.telephony import CallEvent
from storage.models import Resident
from storage.repository import telephony as calls
from storage.telephony_models import PhoneCall


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


async def record_event(
    session: AsyncSession, event: CallEvent
) -> tuple[PhoneCall, bool, Resident | None]:
    """Records ``event`` on its call's row, with the resident of the other party's number.

    Returns the row, whether this event inserted it (only the first delivery of a new
    call does), and that resident (None for a number the line does not know).
    """
    # The other party: who called in, or who was called; stored as the call's number.
    phone = event.from_number if event.direction == "inbound" else event.to_number
    resident = await calls.resident_by_phone(session=session, phone=phone)
    call, new = await calls.record_call(
        session=session,
        provider=event.provider,
        call_id=event.call_id,
        direction=event.direction,
        caller_phone=phone,
        resident_id=resident.id if resident else None,
        at=event.at,
    )
    return call, new, resident
