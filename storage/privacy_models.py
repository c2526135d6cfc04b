"""Privacy and accountability: residents' erasure requests, the periodic jobs' last run
(retention), the append-only audit log of staff actions, and the ids of messages in
residents' private chats that ``/wis`` deletes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _time(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


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
