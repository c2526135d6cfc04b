"""What the web page reads: the live queues and one request's history.

Read-only queries; the page's actions go through the same use cases and conditional
updates as the Telegram buttons.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from storage.models import (
    Contact,
    Escalation,
    Handover,
    Request,
    RequestNote,
    RequestStatus,
    Resident,
    ScheduledCall,
    Staff,
)
from storage.telephony_models import PhoneCall

_REQUEST_COLUMNS = tuple(Request.__table__.c)  # type: ignore[attr-defined]
_RequestFacts = namedtuple("_RequestFacts", [c.name for c in _REQUEST_COLUMNS])  # type: ignore[misc]
_URGENCY_ORDER = case({"crisis": 0, "urgent": 1}, value=col(Request.urgency), else_=2)


@dataclass(frozen=True)
class QueueRow:
    """One open or claimed request as a queue shows it (the facts of its card)."""

    request: Any  # the request's columns as read (a named tuple), not a tracked entity
    first_name: str | None
    holder: str | None
    escalates_at: datetime | None  # the first escalation still counting, if any


async def queue_rows(
    *, session: AsyncSession, queues: list[str], limit: int = 300
) -> list[QueueRow]:
    """Open and claimed requests of ``queues``: urgent first, then oldest."""
    escalates = (
        select(func.min(col(Escalation.due_at)))
        .where(
            col(Escalation.request_id) == col(Request.id),
            col(Escalation.status) != "cancelled",
        )
        .scalar_subquery()
    )
    # The request's columns, not the entity: polled several times a second with up to
    # 300 rows, and the page only reads them (no identity map, no change tracking).
    query = (
        select(*_REQUEST_COLUMNS, col(Resident.first_name), col(Staff.name), escalates)
        .outerjoin(Resident, col(Resident.id) == col(Request.resident_id))
        .outerjoin(Staff, col(Staff.id) == col(Request.claimed_by))
        .where(
            col(Request.status).in_([RequestStatus.open, RequestStatus.claimed]),
            col(Request.queue).in_(queues),
        )
        .order_by(_URGENCY_ORDER, col(Request.created_at), col(Request.id))
        .limit(limit)
    )
    rows = await session.execute(query)
    width = len(_REQUEST_COLUMNS)
    return [QueueRow(_RequestFacts(*r[:width]), *r[width:]) for r in rows.all()]


@dataclass(frozen=True)
class Event:
    """One line of a request's history."""

    at: datetime
    kind: str  # contact | note | handover | call | phone_call
    what: str  # the contact's event, note author, handover status, call status …
    staff: str | None = None
    detail: str | None = None  # free text (a note's text): shown only with the details
    extra: str | None = None  # a key for a label: channel, queue, outcome


async def request_history(*, session: AsyncSession, request_id: int) -> list[Event]:
    """Everything recorded about a request, oldest first."""
    staff = aliased(Staff)
    events: list[Event] = []
    contacts = await session.execute(
        select(Contact, col(staff.name))
        .outerjoin(staff, col(staff.id) == col(Contact.staff_id))
        .where(col(Contact.request_id) == request_id)
    )
    for contact, name in contacts.all():
        events.append(
            Event(
                contact.occurred_at,
                "contact",
                contact.event,
                name,
                extra=f"{contact.channel}/{contact.direction}"
                + (f"/{contact.outcome}" if contact.outcome else ""),
            )
        )
    notes = await session.execute(
        select(RequestNote, col(staff.name))
        .outerjoin(staff, col(staff.id) == col(RequestNote.staff_id))
        .where(col(RequestNote.request_id) == request_id)
    )
    for note, name in notes.all():
        events.append(Event(note.created_at, "note", note.author, name, detail=note.text))
    handovers = await session.execute(
        select(Handover, col(staff.name))
        .outerjoin(staff, col(staff.id) == col(Handover.from_staff_id))
        .where(col(Handover.request_id) == request_id)
    )
    for handover, name in handovers.all():
        target = handover.to_partner or handover.to_queue
        events.append(Event(handover.created_at, "handover", handover.status, name, extra=target))
    calls = await session.execute(
        select(ScheduledCall, col(staff.name))
        .outerjoin(staff, col(staff.id) == col(ScheduledCall.assignee_id))
        .where(col(ScheduledCall.request_id) == request_id)
    )
    for call, name in calls.all():
        events.append(Event(call.due_at, "call", str(call.status), name))
    # A call is the request's when it asked for the callback, or its contact is the request's.
    of_request = select(col(Contact.id)).where(col(Contact.request_id) == request_id)
    phone = await session.execute(
        select(PhoneCall, col(staff.name))
        .outerjoin(staff, col(staff.id) == col(PhoneCall.answered_by))
        .where(
            (col(PhoneCall.callback_request_id) == request_id)
            | col(PhoneCall.contact_id).in_(of_request)
        )
    )
    for phone_call, name in phone.all():
        events.append(Event(phone_call.ringing_at, "phone_call", str(phone_call.state), name))
    events.sort(key=lambda e: e.at)
    return events


@dataclass(frozen=True)
class Found:
    """A request a search found, with its resident's first name."""

    request: Any  # the request's columns as read (a named tuple), not a tracked entity
    first_name: str | None


async def search_requests(
    *,
    session: AsyncSession,
    reference: str | None = None,
    phone: str | None = None,
    village: str | None = None,
    name: str | None = None,
    queues: list[str] | None = None,
    limit: int = 50,
) -> list[Found]:
    """Requests by reference, resident's phone (E.164), village key or first name (part of
    it, any case); newest first; only of ``queues`` when given."""
    query = select(Request, col(Resident.first_name)).outerjoin(
        Resident, col(Resident.id) == col(Request.resident_id)
    )
    if reference is not None:
        query = query.where(col(Request.reference) == reference)
    elif phone is not None:
        query = query.where(col(Resident.phone) == phone)
    elif village is not None:
        query = query.where(col(Request.village) == village)
    elif name:
        pattern = "%" + name.lower().replace("%", "").replace("_", "") + "%"
        query = query.where(func.lower(col(Resident.first_name)).like(pattern))
    else:
        return []
    if queues is not None:
        query = query.where(col(Request.queue).in_(queues))
    query = query.order_by(col(Request.created_at).desc(), col(Request.id).desc()).limit(limit)
    return [Found(r, first) for r, first in (await session.execute(query)).all()]


async def resident_requests(*, session: AsyncSession, resident_id: int) -> list[Request]:
    """Every request of one resident, newest first (the caller filters what may be seen)."""
    rows = await session.scalars(
        select(Request)
        .where(col(Request.resident_id) == resident_id)
        .order_by(col(Request.created_at).desc(), col(Request.id).desc())
    )
    return list(rows)
