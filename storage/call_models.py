"""Scheduled calls: planned and recurring calls to residents, their reminders, the
telefooncirkel's alerts, when staff can call, and what a staff member's next typed
message answers.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _time(*, nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


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
