"""What the phone line's report counts: inbound calls of a period and their callbacks.

Read-only. A missed call counts as called back at the first outbound phone contact
logged on its 📞 Terugbellen request after the call (``log:call_reached`` and the
like), else when that request was resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Channel, Contact, Direction, Request, RequestStatus
from storage.telephony_models import PhoneCall


@dataclass(frozen=True)
class CallFact:
    """One inbound call as the report sees it (no number: only whether there was one)."""

    ringing_at: datetime
    state: str
    ended_at: datetime | None
    has_number: bool
    caller: str | None  # for counting distinct callers; never shown
    called_back_at: datetime | None


async def call_facts(*, session: AsyncSession, start: datetime, end: datetime) -> list[CallFact]:
    """The inbound calls that began ringing in [start, end), with their callback moments."""
    first_callback = (
        select(func.min(col(Contact.occurred_at)))
        .where(
            col(Contact.request_id) == col(PhoneCall.callback_request_id),
            col(Contact.channel) == Channel.phone,
            col(Contact.direction) == Direction.outbound,
            col(Contact.occurred_at) >= col(PhoneCall.ended_at),
        )
        .correlate(PhoneCall)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(
            col(PhoneCall.ringing_at),
            col(PhoneCall.state),
            col(PhoneCall.ended_at),
            col(PhoneCall.caller_phone),
            first_callback,
            col(Request.status),
            col(Request.resolved_at),
        )
        .outerjoin(Request, col(Request.id) == col(PhoneCall.callback_request_id))
        .where(
            col(PhoneCall.direction) == "inbound",
            col(PhoneCall.ringing_at) >= start,
            col(PhoneCall.ringing_at) < end,
        )
        .order_by(col(PhoneCall.ringing_at))
    )
    facts = []
    for ringing_at, state, ended_at, caller, contact_at, status, resolved_at in rows:
        called_back = contact_at
        if called_back is None and status == RequestStatus.resolved:
            called_back = resolved_at
        facts.append(CallFact(ringing_at, state, ended_at, caller is not None, caller, called_back))
    return facts
