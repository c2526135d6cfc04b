"""What happens to a request after intake: warm handovers to another person or team,
escalations of unclaimed requests, and the resident's grade once it is resolved.

``Handover.note``/``consent_reason`` and ``Satisfaction.remark`` are free text: retention
and erasure clear them (``storage.repository.personal_data``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _time(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


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
