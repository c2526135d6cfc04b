"""The tables. Every row a resident or staff member causes lives here, not in memory.

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
from storage.types import UTCDateTime, utcnow


class RequestStatus(StrEnum):
    open = "open"
    claimed = "claimed"
    resolved = "resolved"
    cancelled = "cancelled"


class Channel(StrEnum):
    telegram = "telegram"
    phone = "phone"
    email = "email"
    walk_in = "walk_in"
    other = "other"


class Direction(StrEnum):
    inbound = "inbound"
    outbound = "outbound"
    internal = "internal"


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


class IntakeDraft(SQLModel, table=True):
    """A resident's intake in progress: written at every step, so a restart resumes it."""

    __tablename__ = "intake_draft"
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, unique=True)
    user_id: int = Field(sa_type=BigInteger)
    # "resident" (their own intake) or "staff" (a phone, walk-in or email intake by staff).
    flow: str = Field(default="resident", max_length=16)
    channel: str | None = Field(default=None, max_length=16)
    location: str | None = Field(default=None, max_length=64)
    step: str = Field(max_length=32)
    language: str = Field(default="nl", max_length=5)
    first_name: str | None = Field(default=None, max_length=120)
    consent_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    consent_version: str | None = Field(default=None, max_length=32)
    question: str | None = Field(default=None, sa_type=Text)
    category: str | None = Field(default=None, max_length=64)
    alternatives: str = Field(default="", max_length=400)  # comma-separated category keys
    urgency: str = Field(default="normal", max_length=16)
    kind: str = Field(default="hulpvraag", max_length=16)
    village: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    contact_preference: str | None = Field(default=None, max_length=16)
    preferred_time: str | None = Field(default=None, max_length=16)
    # Set when a crisis message already created the request during this intake.
    request_id: int | None = Field(default=None, foreign_key="request.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_time())


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


class Handover(SQLModel, table=True):
    """A warm handover: the holder keeps the request until the receiver accepts."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    from_staff_id: int = Field(foreign_key="staff.id")
    to_queue: str = Field(max_length=64)
    to_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    note: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default="pending", max_length=16)  # pending | accepted | declined
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    decided_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    decided_by: int | None = Field(default=None, foreign_key="staff.id")
    # The basis for sharing with another team — the resident's
    # consent, or a safety override with the holder's typed reason (free text: retention).
    consent_basis: str | None = Field(default=None, max_length=16)  # consent | safety
    consent_reason: str | None = Field(default=None, sa_type=Text)
    consent_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    # A referral to a partner (outcome doorverwezen) that shared details: status "referred".
    to_partner: str | None = Field(default=None, max_length=64)


class Escalation(SQLModel, table=True):
    """A due check on an unclaimed request: remind the queue, then alert the coordinator."""

    __table_args__ = (Index("ix_escalation_due", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    stage: str = Field(max_length=16)  # reminder | coordinator
    due_at: datetime = Field(sa_column=_time())
    status: str = Field(default="pending", max_length=16)  # pending | done | cancelled
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    done_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))


class Satisfaction(SQLModel, table=True):
    """A resident's grade (1–10) for a resolved request, or their wish not to give one.

    One row per request: the unique ``request_id`` makes "ask once, count once" a rule
    of the database. ``grade`` is None when the resident opted out; the migration adds
    ``CHECK (grade BETWEEN 1 AND 10)``. ``remark`` is free text: subject to retention,
    like ``RequestNote.text``.
    """

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", unique=True)
    grade: int | None = None
    remark: str | None = Field(default=None, sa_type=Text)
    opted_out: bool = False
    answered_at: datetime = Field(default_factory=utcnow, sa_column=_time(index=True))


# --- Privacy ---
class ErasureRequest(SQLModel, table=True):
    """A resident's wish to be forgotten; with open requests it waits for a coordinator.

    Holds no personal data itself: the resident row it points at is anonymised on erasure.
    """

    __tablename__ = "erasure_request"
    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    source: str = Field(max_length=16)  # telegram | cli
    status: str = Field(default="pending", max_length=16)  # pending | refused | done
    requested_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    decided_by: int | None = Field(default=None, foreign_key="staff.id")
    decided_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))


class JobRun(SQLModel, table=True):
    """When a periodic job (the daily retention run) last finished: a restart reads it."""

    __tablename__ = "job_run"
    name: str = Field(primary_key=True, max_length=32)
    last_run_at: datetime = Field(sa_column=_time())


# --- end Privacy ---


# Unique residents of a period: one index seek per resident (EXISTS) instead of
# de-duplicating every contact of the period; also a resident's first contact (imports).
Index(
    "ix_contact_resident_occurred",
    Contact.__table__.c.resident_id,  # type: ignore[attr-defined]
    Contact.__table__.c.occurred_at,  # type: ignore[attr-defined]
)


# --- Audit ---------------------------------------------------------------------------


class AuditAction(StrEnum):
    """What staff did that the audit log records (the one list of action names)."""

    view_details = "view_details"  # a resident's details shown to a staff member
    view_phone = "view_phone"  # a volunteer pressed "show phone number"
    export = "export"  # contacts exported (CLI) or a report made (/rapport)
    privacy_export = "privacy_export"  # everything about one resident exported
    privacy_erase = "privacy_erase"  # a resident's data erased
    role_add = "role_add"  # staff registered or re-activated
    role_change = "role_change"  # role or queues changed
    role_remove = "role_remove"  # staff removed
    handover = "handover"  # a warm handover sent to another person or team
    handover_decided = "handover_decided"  # a handover accepted or declined
    audit_view = "audit_view"  # someone read the audit log
    recategorise = "recategorise"  # a request's category corrected
    mark_crisis = "mark_crisis"  # a request marked as a crisis triage missed
    queue_link = "queue_link"  # a Telegram group linked to a queue with /koppel


class AuditEntry(SQLModel, table=True):
    """One append-only audit row: who did what, on which request or resident, when.

    The migration adds triggers that refuse UPDATE and DELETE. ``detail`` holds ids,
    keys and counts only — never a resident's text, name or phone number.
    ``request_id``/``resident_id`` carry no foreign key on purpose: the audit outlives
    the rows it names (erasure must not be blocked by, nor rewrite, the audit).
    """

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(sa_column=_time(index=True))
    actor_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    action: str = Field(max_length=32)
    request_id: int | None = None
    resident_id: int | None = None
    detail: str | None = Field(default=None, max_length=400)


class ChatMessage(SQLModel, table=True):
    """A message id in a resident's private chat (no text), so ``/wis`` can delete it.

    Telegram lets a bot delete messages of a private chat for 48 hours; older rows are
    pruned.
    """

    __tablename__ = "chat_message"
    __table_args__ = (Index("ix_chat_message_chat", "chat_id", "message_id", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger)
    message_id: int = Field(sa_type=BigInteger)
    outgoing: bool = False
    sent_at: datetime = Field(sa_column=_time(index=True))


# --- Scheduled calls -------------------------------------------------------------------
class CallStatus(StrEnum):
    """Where a scheduled call stands; only ``scheduled`` calls are reminded."""

    draft = "draft"  # being planned in the case chat, not yet confirmed
    scheduled = "scheduled"
    reached = "reached"  # Gebeld
    no_answer = "no_answer"  # Niet bereikt
    lapsed = "lapsed"  # came due while the bot was down; shown to the coordinator
    cancelled = "cancelled"


class CallSeries(SQLModel, table=True):
    """A recurring call (belmaatje round, telefooncirkel check-in): an RFC 5545 rule.

    ``dtstart_local`` is the first occurrence as naive local time in ``zone``; the rule
    is expanded in local time so 10:00 stays 10:00 across DST changes.
    """

    __tablename__ = "call_series"
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    assignee_id: int = Field(foreign_key="staff.id")
    rule: str = Field(max_length=200)  # e.g. FREQ=WEEKLY;INTERVAL=1;BYDAY=TU;COUNT=10
    dtstart_local: str = Field(max_length=19)  # 2026-05-05T10:00:00
    zone: str = Field(max_length=64)
    status: str = Field(default="draft", max_length=16)  # draft | active | ended | cancelled
    misses: int = 0  # consecutive calls not answered
    created_by: int | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())


class ScheduledCall(SQLModel, table=True):
    """One call to make: who calls whom about which request, when, and how it went."""

    __tablename__ = "scheduled_call"
    __table_args__ = (
        Index("ix_scheduled_call_status_due", "status", "due_at"),
        Index("ix_scheduled_call_assignee_due", "assignee_id", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    series_id: int | None = Field(default=None, foreign_key="call_series.id", index=True)
    assignee_id: int = Field(foreign_key="staff.id")
    created_by: int | None = Field(default=None, foreign_key="staff.id")
    due_at: datetime = Field(sa_column=_time())
    # The series instant this call belongs to (a retry keeps its occurrence).
    occurrence_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    attempt: int = 0  # 0: the planned call, 1..: telefooncirkel retries
    status: CallStatus = Field(default=CallStatus.draft, sa_type=String(16))
    notify_resident: bool = False
    resident_declined_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    outcome_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    outcome_by: int | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())


class CallReminder(SQLModel, table=True):
    """A message due about a call (to the assignee or the resident), taken once by the hook.

    ``kind``: lead | due (assignee), resident | moved (resident). ``status``: pending →
    sent (written to the outbox) | late (sent with a note) | missed (shown to the
    coordinator) | expired (no longer useful) | cancelled | blocked.
    """

    __tablename__ = "call_reminder"
    __table_args__ = (Index("ix_call_reminder_status_due", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="scheduled_call.id", index=True)
    kind: str = Field(max_length=16)
    due_at: datetime = Field(sa_column=_time())
    status: str = Field(default="pending", max_length=16)
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")
    done_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))


class CallAlert(SQLModel, table=True):
    """Telefooncirkel: a resident was not reached N times; open until a coordinator closes it."""

    __tablename__ = "call_alert"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="scheduled_call.id")
    series_id: int | None = Field(default=None, foreign_key="call_series.id")
    request_id: int = Field(foreign_key="request.id", index=True)
    status: str = Field(default="open", max_length=16)  # open | closed
    action: str | None = Field(default=None, max_length=32)  # what was done (a configured key)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    closed_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    closed_by: int | None = Field(default=None, foreign_key="staff.id")


class Availability(SQLModel, table=True):
    """When a staff member or belmaatje can call: a weekday and a local time window."""

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True, ondelete="CASCADE")
    weekday: int  # 0 = Monday
    start_minute: int  # minutes after local midnight
    end_minute: int


class StaffPrompt(SQLModel, table=True):
    """What a staff member's next typed message answers (a date/time, a closing note)."""

    __tablename__ = "staff_prompt"
    staff_id: int = Field(
        foreign_key="staff.id",
        primary_key=True,
        ondelete="CASCADE",
        sa_column_kwargs={"autoincrement": False},
    )
    kind: str = Field(max_length=16)  # plan_time | move_time | alert_note
    target_id: int
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())


# --- end Scheduled calls ---


class SafetyCheck(SQLModel, table=True):
    """A kind check question put to a resident whose message may mean danger.

    Holds the message until the resident answers: "Ja" turns it into a crisis request
    (the text goes with it), "Nee" deletes it. Unanswered rows go with the drafts.
    """

    __tablename__ = "safety_check"
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    user_id: int = Field(sa_type=BigInteger)
    line: str = Field(max_length=32)  # the safety line asked about: suicide | acute
    text: str = Field(sa_type=Text)
    asked_at: datetime = Field(default_factory=utcnow, sa_column=_time(index=True))


class TriageCorrection(SQLModel, table=True):
    """A staff correction of triage: training data for the next model.

    ``text`` is the request's question at the time; retention and erasure clear it with
    the request's other free text, and training skips rows without it.
    """

    __tablename__ = "triage_correction"
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    text: str | None = Field(default=None, sa_type=Text)
    kind: str = Field(default="hulpvraag", max_length=16)
    old_category: str = Field(max_length=64)
    new_category: str = Field(max_length=64)
    old_urgency: str = Field(max_length=16)
    new_urgency: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())


# --- First run: queue groups linked from Telegram, and the first admin's one-time code ---


class QueueChat(SQLModel, table=True):
    """The Telegram group of a queue, linked by an admin or coordinator with ``/koppel``.

    A row, not process memory: a standby instance that takes over sends to the same
    groups. The QUEUE_CHATS setting, where it names a queue, wins over this row.
    """

    __tablename__ = "queue_chat"
    queue: str = Field(primary_key=True, max_length=64)
    chat_id: int = Field(sa_type=BigInteger)
    linked_by: int | None = Field(default=None, foreign_key="staff.id")
    linked_at: datetime = Field(sa_column=_time())


class SetupCode(SQLModel, table=True):
    """A one-time code that makes its sender the first admin (``/start <code>``).

    Only a hash is kept: the code itself is shown once, on the console. It works once,
    until ``expires_at``, and only while there is no admin.
    """

    __tablename__ = "setup_code"
    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=_time())
    expires_at: datetime = Field(sa_column=_time())
    used_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    used_by: int | None = Field(default=None, sa_type=BigInteger)  # a Telegram user id


# Phone calls from the exchange: their tables live in a module of their own.
from storage import telephony_models as telephony_models  # noqa: E402

# The coordinator web page's login links and sessions: a module of their own as well.
from storage import web_models as web_models  # noqa: E402

# Email as a channel: messages read, residents' addresses, mails to send.
from storage import email_models as email_models  # noqa: E402  # isort: skip
