"""A resident's way in: the intake in progress, the safety check put to a message that
may mean danger, and staff corrections of triage (training data).

Each holds free text (``IntakeDraft.question``, ``SafetyCheck.text``,
``TriageCorrection.text``) that retention and erasure clear
(``storage.repository.personal_data``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _time(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


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
