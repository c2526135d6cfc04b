"""Phone calls reported by the exchange, and the screen pops sent about them.

``PhoneCall.caller_phone`` is personal data (a number that may never become a
resident's): retention and erasure find it here. A call moves ringing → answered →
ended, or ringing → missed; every move is a conditional update on the state it was
decided from (``storage.repository.telephony``), so an event delivered twice changes
nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _time(*, nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class PhoneCallState(StrEnum):
    """Where a call stands."""

    ringing = "ringing"
    answered = "answered"
    ended = "ended"  # ended after an answer: a contact was logged
    missed = "missed"  # ended without an answer: a callback was asked for
    # No end reported within TELEPHONY_STALE_CALL_MINUTES of ringing (events lost while
    # the bot was down): closed without knowing whether it was answered.
    unknown = "unknown"


class PhoneCall(SQLModel, table=True):
    """One call, as the exchange reported it (one row per provider and call id)."""

    __tablename__ = "phone_call"
    __table_args__ = (
        UniqueConstraint("provider", "call_id", name="uq_phone_call_provider_call"),
        Index("ix_phone_call_caller_state", "caller_phone", "state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=16)  # cti | voipgrid
    call_id: str = Field(max_length=250)
    direction: str = Field(max_length=8)  # inbound | outbound
    state: str = Field(default=PhoneCallState.ringing, max_length=16)
    caller_phone: str | None = Field(default=None, max_length=32)  # E.164; None: withheld
    resident_id: int | None = Field(default=None, foreign_key="resident.id")
    answered_by: int | None = Field(default=None, foreign_key="staff.id")
    # The exchange's name for who answered (an extension), kept when no staff has it.
    answered_ext: str | None = Field(default=None, max_length=120)
    ringing_at: datetime = Field(sa_column=_time())
    answered_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    ended_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    cause: str | None = Field(default=None, max_length=32)
    # The 📞 Terugbellen request a missed call opened or joined.
    callback_request_id: int | None = Field(default=None, foreign_key="request.id", index=True)
    # The contact logged when an answered call ended (its duration: answered_at → ended_at).
    # SET NULL: retention deletes old contacts; the call's row must not stop it.
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    # What the one who answered did after the call: intake | info (None: not yet;
    # reminded: not yet, and the one reminder has been sent).
    follow_up: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())


class PhonePop(SQLModel, table=True):
    """A screen pop about a call in one staff member's private chat (its outbox row)."""

    __tablename__ = "phone_pop"
    id: int | None = Field(default=None, primary_key=True)
    phone_call_id: int = Field(foreign_key="phone_call.id", index=True, ondelete="CASCADE")
    staff_id: int = Field(foreign_key="staff.id")
    chat_id: int = Field(sa_type=BigInteger)
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")


class PhoneShift(SQLModel, table=True):
    """A weekly shift of the rota: the staff member answers the phone then (flows/rota.py)."""

    __tablename__ = "phone_shift"
    __table_args__ = (
        UniqueConstraint(
            "staff_id", "weekday", "start_minute", "end_minute", name="uq_phone_shift"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", ondelete="CASCADE")
    weekday: int  # 0 = Monday
    start_minute: int  # after local midnight
    end_minute: int  # up to 1440 (24:00)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())


class PhoneShiftException(SQLModel, table=True):
    """One date's change to the rota: a staff member off (vrij) or on duty extra."""

    __tablename__ = "phone_shift_exception"
    __table_args__ = (
        UniqueConstraint(
            "staff_id",
            "day",
            "start_minute",
            "end_minute",
            "on_duty",
            name="uq_phone_shift_exception",
        ),
        Index("ix_phone_shift_exception_day", "day"),
    )
    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", ondelete="CASCADE")
    day: date  # local date
    start_minute: int = 0
    end_minute: int = 1440  # 0–1440: the whole day
    on_duty: bool  # True: extra shift; False: off
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())


class PhoneDial(SQLModel, table=True):
    """A 📞 Bel nu: the provider was asked to ring the staff member's phone, then the
    resident's. The outbound call's events find it by the resident (never a number is
    kept here), so the call's contact is logged once, under the request, for this staff
    member; a Gebeld pressed afterwards does not log it again."""

    __tablename__ = "phone_dial"
    __table_args__ = (Index("ix_phone_dial_resident_dialed", "resident_id", "dialed_at"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    staff_id: int = Field(foreign_key="staff.id")
    resident_id: int = Field(foreign_key="resident.id")
    dialed_at: datetime = Field(sa_column=_time())
    failed: bool = False  # the provider refused or could not be reached
    # The outbound call this dial became; SET NULL as for PhoneCall.contact_id.
    phone_call_id: int | None = Field(
        default=None, foreign_key="phone_call.id", ondelete="SET NULL"
    )
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
