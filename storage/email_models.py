"""Email as a channel: the messages read from the line's mailbox, residents' addresses and
the mails waiting to be sent.

``EmailMessage.message_id`` is the idempotency key of intake: a message is recorded in
the same transaction as its request, and marked seen on the server only after that
commit, so a message read twice (a crash in between) makes one request. Addresses are
personal data (``storage.repository.personal_data``): erasure and retention clear them
like phone numbers. Sending is conditional updates on ``EmailOutbox.status``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _time(*, nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class ResidentEmail(SQLModel, table=True):
    """A resident's email address (one resident per address); None once erased."""

    __tablename__ = "resident_email"
    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    address: str | None = Field(default=None, max_length=320, unique=True)  # lower case
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())


class EmailMessage(SQLModel, table=True):
    """One message read from the mailbox (its content is never stored here)."""

    __tablename__ = "email_message"
    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=500, unique=True)
    verdict: str = Field(max_length=16)  # flows.email_message.Verdict
    # The sender of a resident's mail; None for mail that is not a resident's question.
    from_address: str | None = Field(default=None, max_length=320)
    resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    request_id: int | None = Field(default=None, foreign_key="request.id", index=True)
    joined: bool = False  # added to an existing request (a reply with its reference)
    has_attachments: bool = False
    received_at: datetime = Field(default_factory=utcnow, sa_column=_time())


class EmailStatus(StrEnum):
    """Where an outgoing mail stands."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class EmailOutbox(SQLModel, table=True):
    """A mail to a resident, sent by the mail sender after the transaction committed."""

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_status_due", "status", "not_before"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: int | None = Field(default=None, foreign_key="request.id", index=True)
    purpose: str = Field(max_length=32)  # auto_reply | relay
    to_address: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=Text)
    # Our Message-ID (its left part starts with the reference, so a reply finds its request).
    message_id: str = Field(max_length=250, unique=True)
    in_reply_to: str | None = Field(default=None, max_length=500)
    status: str = Field(default=EmailStatus.pending, max_length=16)
    attempts: int = 0
    not_before: datetime = Field(default_factory=utcnow, sa_column=_time())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    sent_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    error: str | None = Field(default=None, max_length=200)
