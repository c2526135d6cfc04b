"""The tables of a case itself: staff, residents, requests, contacts, notes and the outbox.

Every row a resident or staff member causes lives in a table, not in memory. Tables of
other subjects (scheduled calls, intake, privacy, ...) live in modules of their own and
are re-exported here: importing this module registers every table on
``SQLModel.metadata`` (Alembic, ``create_all``), and ``from storage.models import X``
finds any of them.

Times are aware UTC (``UTCDateTime``). Free text that may hold sensitive details
(the question, messages) is kept in few, named columns so retention and erasure
can find it: ``Request.summary``, ``RequestNote.text``, ``IntakeDraft.question``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, String, Text, false
from sqlmodel import Field, SQLModel

# The staff roles are defined once, beside what each may do; stored as their values.
from flows.permissions import Role as Role
from storage.call_models import (
    Availability,
    CallAlert,
    CallReminder,
    CallSeries,
    CallStatus,
    ScheduledCall,
    StaffPrompt,
)
from storage.case_models import Escalation, Handover, Satisfaction
from storage.contact_values import Channel as Channel
from storage.contact_values import Direction as Direction
from storage.intake_models import IntakeDraft, SafetyCheck, TriageCorrection
from storage.privacy_models import AuditAction, AuditEntry, ChatMessage, ErasureRequest, JobRun
from storage.setup_models import QueueChat, SetupCode
from storage.types import UTCDateTime, utcnow


class RequestStatus(StrEnum):
    open = "open"
    claimed = "claimed"
    resolved = "resolved"
    cancelled = "cancelled"


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


def _time(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


class StaffBase(SQLModel):
    telegram_user_id: int = Field(sa_type=BigInteger, unique=True)
    name: str = Field(max_length=120)
    role: Role = Field(default=Role.staff, sa_type=String(20))


class Staff(StaffBase, table=True):
    """A staff member or volunteer who works the line from Telegram."""

    id: int | None = Field(default=None, primary_key=True)
    active: bool = True
    # The case their next plain message in the private chat goes to (the relay target).
    # No foreign key: request already points at staff, and a cycle breaks table ordering.
    active_request_id: int | None = None
    # Their extension (or login) on the telephone exchange: whose answer a call event names.
    phone_extension: str | None = Field(default=None, max_length=32, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())


class QueueMembership(SQLModel, table=True):
    """Which queues a staff member picks up requests from."""

    __tablename__ = "queue_membership"
    staff_id: int = Field(foreign_key="staff.id", primary_key=True, ondelete="CASCADE")
    queue: str = Field(primary_key=True, max_length=64)


class Resident(SQLModel, table=True):
    """A person who asked the line for help (or offered it)."""

    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int | None = Field(default=None, sa_type=BigInteger, unique=True)
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    first_name: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, max_length=32, index=True)  # E.164
    language: str = Field(default="nl", max_length=5)
    village: str | None = Field(default=None, max_length=64)
    external_ref: str | None = Field(default=None, max_length=120, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    blocked_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    anonymised_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    # Scheduled calls: the resident's named contact person for the
    # telefooncirkel (alerted after repeated misses), and their wish for call reminders.
    contact_person_name: str | None = Field(default=None, max_length=120)
    contact_person_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    call_reminders: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class Request(SQLModel, table=True):
    """A case: one question of one resident, from intake to resolution."""

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, max_length=32)
    resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    channel: Channel = Field(default=Channel.telegram, sa_type=String(16))
    kind: str = Field(default="hulpvraag", max_length=16)
    category: str = Field(max_length=64)
    urgency: str = Field(default="normal", max_length=16)
    village: str | None = Field(default=None, max_length=64)
    location: str | None = Field(default=None, max_length=64)
    queue: str = Field(max_length=64, index=True)
    summary: str | None = Field(default=None, sa_type=Text)
    contact_preference: str = Field(default="chat", max_length=16)
    preferred_time: str | None = Field(default=None, max_length=16)
    language: str = Field(default="nl", max_length=5)
    status: RequestStatus = Field(default=RequestStatus.open, sa_type=String(16), index=True)
    new_or_known: str = Field(default="nieuw", max_length=8)
    claimed_by: int | None = Field(default=None, foreign_key="staff.id")
    claimed_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    outcome: str | None = Field(default=None, max_length=32)
    partner: str | None = Field(default=None, max_length=64)
    consent_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    consent_version: str | None = Field(default=None, max_length=32)
    card_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    card_message_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    resolved_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))


class Contact(SQLModel, table=True):
    """One interaction, in or out, on any channel: the unit the yearly tallies count."""

    __table_args__ = (Index("ix_contact_occurred_category", "occurred_at", "category"),)
    id: int | None = Field(default=None, primary_key=True)
    # Indexed by ix_contact_occurred_category (and resident_id by
    # ix_contact_resident_occurred): an index of the first column alone would only
    # cost every insert another B-tree.
    occurred_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    channel: Channel = Field(sa_type=String(16))
    direction: Direction = Field(sa_type=String(16))
    kind: str = Field(max_length=16)
    event: str = Field(max_length=32)  # intake, message, claim, call, ...
    category: str | None = Field(default=None, max_length=64)
    village: str | None = Field(default=None, max_length=64)
    location: str | None = Field(default=None, max_length=64)
    queue: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=32)
    new_or_known: str | None = Field(default=None, max_length=8)
    resident_id: int | None = Field(default=None, foreign_key="resident.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    request_id: int | None = Field(default=None, foreign_key="request.id", index=True)
    # A unique index (ix_contact_import_key), not a table constraint: a large import
    # drops it and builds it again in one sort (storage/repository/import_staging.py).
    import_key: str | None = Field(default=None, max_length=64, unique=True, index=True)


class RequestNote(SQLModel, table=True):
    """Free text on a request: a resident's later messages or a staff note."""

    __tablename__ = "request_note"
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    author: str = Field(max_length=16)  # resident | staff
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())


class Outbox(SQLModel, table=True):
    """A message that must reach Telegram; the dispatcher sends it and marks it sent."""

    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger)
    text: str = Field(sa_type=Text)
    reply_markup: str | None = Field(default=None, sa_type=Text)  # JSON
    purpose: str = Field(max_length=32)  # card, alert, relay, ...
    request_id: int | None = Field(default=None, foreign_key="request.id")
    status: OutboxStatus = Field(default=OutboxStatus.pending, sa_type=String(16))
    attempts: int = 0
    not_before: datetime = Field(default_factory=utcnow, sa_column=_time())
    locked_until: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    sent_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    error: str | None = Field(default=None, max_length=200)


class ReferenceCounter(SQLModel, table=True):
    """The last reference number handed out per year (HH-2026-00042)."""

    __tablename__ = "reference_counter"
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0


# Unique residents of a period: one index seek per resident (EXISTS) instead of
# de-duplicating every contact of the period; also a resident's first contact (imports).
Index(
    "ix_contact_resident_occurred",
    Contact.__table__.c.resident_id,  # type: ignore[attr-defined]
    Contact.__table__.c.occurred_at,  # type: ignore[attr-defined]
)

# Phone calls from the exchange: their tables live in a module of their own.
from storage import telephony_models as telephony_models  # noqa: E402

# The coordinator web page's login links and sessions: a module of their own as well.
from storage import web_models as web_models  # noqa: E402

# Email as a channel: messages read, residents' addresses, mails to send.
from storage import email_models as email_models  # noqa: E402  # isort: skip


__all__ = [
    "AuditAction",
    "AuditEntry",
    "Availability",
    "CallAlert",
    "CallReminder",
    "CallSeries",
    "CallStatus",
    "Channel",
    "ChatMessage",
    "Contact",
    "Direction",
    "ErasureRequest",
    "Escalation",
    "Handover",
    "IntakeDraft",
    "JobRun",
    "Outbox",
    "OutboxStatus",
    "QueueChat",
    "QueueMembership",
    "ReferenceCounter",
    "Request",
    "RequestNote",
    "RequestStatus",
    "Resident",
    "Role",
    "SafetyCheck",
    "Satisfaction",
    "ScheduledCall",
    "SetupCode",
    "Staff",
    "StaffBase",
    "StaffPrompt",
    "TriageCorrection",
    "email_models",
    "telephony_models",
    "web_models",
]
