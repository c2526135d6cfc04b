"""Where residents' personal data lives, as data: the one map that export, erasure and
retention all read.

Each ``Holder`` names a table, how its rows belong to a resident (``Link``), and what
happens to them: free text is cleared when it expires or on erasure, identity (names,
numbers, Telegram ids) when the person is anonymised, and rows that tallies do not
need are deleted. ``PENDING`` lists what is still to happen for a person (messages,
reminders, calls) and is cancelled on erasure. Every model's columns are checked against
this map, so a new column holding a name, number, chat id or free text must be added
here (or to ``NOT_PERSONAL`` with a reason). ``storage.repository.scrub`` applies the map
to rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlmodel import SQLModel

from storage.email_models import EmailMessage, EmailOutbox, ResidentEmail
from storage.models import (
    CallAlert,
    CallSeries,
    ChatMessage,
    Contact,
    ErasureRequest,
    Escalation,
    Handover,
    IntakeDraft,
    Outbox,
    Request,
    RequestNote,
    Resident,
    SafetyCheck,
    Satisfaction,
    ScheduledCall,
    TriageCorrection,
)
from storage.telephony_models import PhoneCall, PhoneDial

# Tables that are housekeeping, not a record about the person (see holds_data).
HOUSEKEEPING = frozenset({"chat_message"})


class Link(StrEnum):
    """What the linking column of a holder holds."""

    resident = "resident"  # the resident's id
    request = "request"  # the id of one of their requests
    telegram = "telegram"  # their Telegram user id or private chat id
    phone = "phone"  # their phone number (E.164), as the exchange reported it


@dataclass(frozen=True)
class Holder:
    """A table that keeps data about a resident, and what retention and erasure do to it."""

    model: type[SQLModel]
    link: Link
    column: str
    free_text: Mapping[str, Any] = field(default_factory=dict)
    identity: Mapping[str, Any] = field(default_factory=dict)
    delete: bool = False  # the rows hold nothing tallies need: deleted with the free text

    @property
    def table(self) -> str:
        """The table's name."""
        return str(self.model.__tablename__)


_BLANK_MESSAGE = {"text": "", "reply_markup": None}

HOLDERS: tuple[Holder, ...] = (
    Holder(
        Resident,
        Link.resident,
        "id",
        identity={
            "first_name": None,
            "phone": None,
            "telegram_user_id": None,
            "chat_id": None,
            "external_ref": None,
            "contact_person_name": None,
            "contact_person_chat_id": None,
        },
    ),
    Holder(Request, Link.request, "id", free_text={"summary": None}),
    Holder(RequestNote, Link.request, "request_id", delete=True),
    Holder(Satisfaction, Link.request, "request_id", free_text={"remark": None}),
    Holder(Handover, Link.request, "request_id", free_text={"note": None, "consent_reason": None}),
    Holder(Outbox, Link.request, "request_id", free_text=_BLANK_MESSAGE),
    Holder(Outbox, Link.telegram, "chat_id", free_text=_BLANK_MESSAGE, identity={"chat_id": 0}),
    Holder(IntakeDraft, Link.telegram, "chat_id", delete=True),
    Holder(IntakeDraft, Link.telegram, "user_id", delete=True),
    Holder(IntakeDraft, Link.request, "request_id", delete=True),
    Holder(SafetyCheck, Link.telegram, "chat_id", delete=True),
    Holder(SafetyCheck, Link.telegram, "user_id", delete=True),
    Holder(TriageCorrection, Link.request, "request_id", free_text={"text": None}),
    # Message ids only, pruned after 48 hours: kept on erasure so /wis can still wipe the chat.
    Holder(ChatMessage, Link.telegram, "chat_id"),
    # Kept as they are: no personal columns, and the tallies count them.
    Holder(Contact, Link.resident, "resident_id"),
    Holder(Escalation, Link.request, "request_id"),
    Holder(ErasureRequest, Link.resident, "resident_id"),
    Holder(CallSeries, Link.request, "request_id"),
    Holder(ScheduledCall, Link.request, "request_id"),
    Holder(CallAlert, Link.request, "request_id"),
    # The phone line: a known caller's number on their calls (storage/telephony_models.py).
    Holder(PhoneCall, Link.resident, "resident_id", identity={"caller_phone": None}),
    # Calls from their number made before it was theirs on record (an unknown caller who
    # became a resident, a missed call that opened their callback request).
    Holder(PhoneCall, Link.phone, "caller_phone", identity={"caller_phone": None}),
    # 📞 Bel nu: ids and a time only, kept like the contacts they lead to.
    Holder(PhoneDial, Link.resident, "resident_id"),
    # Email (storage/email_models.py): addresses are identity, like phone numbers; a mail's
    # subject and body are free text, like the outbox's messages.
    Holder(ResidentEmail, Link.resident, "resident_id", identity={"address": None}),
    Holder(EmailMessage, Link.resident, "resident_id", identity={"from_address": None}),
    Holder(
        EmailOutbox,
        Link.request,
        "request_id",
        free_text={"subject": "", "body": ""},
        identity={"to_address": ""},
    ),
)

# Columns that look personal but are not a resident's data, and why.
NOT_PERSONAL: dict[str, str] = {
    "staff.name": "a staff member's own name, not a resident's",
    "staff.telegram_user_id": "a staff member's account, not a resident's",
    "request.reference": "the case number: kept so tallies and the audit can name the case",
    "request.contact_preference": "chat, phone or none: a choice, not a number",
    "request.preferred_time": "morning, afternoon, evening or any",
    "request.card_chat_id": "the queue group's chat, not the resident's",
    "request.card_message_id": "the card's message number in the queue group",
    "outbox.message_id": "a Telegram message number, no content",
    "audit_log.detail": "ids, keys and counts only (rule of record_audit), append-only",
    "audit_log.resident_id": "a bare row id; the audit must outlive erasure (append-only)",
    "contact.resident_id": "a bare row id, kept so unique residents still count",
    "contact.import_key": "a keyed hash (HMAC; the secret is import.key, not in the database)",
    "chat_message.chat_id": "the quick exit's list (ids, no text) for 48 hours, so /wis works",
    "chat_message.message_id": "a message number, no content",
    "call_reminder.outbox_id": "the outbox row (cleared through its request)",
    "queue_chat.chat_id": "a queue's Telegram group, not a resident's chat",
    "phone_pop.chat_id": "the private chat of the staff member the screen pop went to",
    "email_message.message_id": "the sender's mail program's id of a message, no content",
    "email_outbox.message_id": "the id the line gave its own mail (reference and random part)",
}


@dataclass(frozen=True)
class Pending:
    """Something still to happen for a person, cancelled on erasure."""

    model: type[SQLModel]
    link: Link
    column: str
    values: Mapping[str, Any]
    status: str = "status"
    waiting: tuple[str, ...] = ("pending",)
    stamp: str | None = None  # set to the erasure time


_UNSENT = {"status": "failed", "error": "cancelled: erased"}
_SENDING = ("pending", "sending")

PENDING: tuple[Pending, ...] = (
    Pending(Outbox, Link.request, "request_id", _UNSENT, waiting=_SENDING),
    Pending(Outbox, Link.telegram, "chat_id", _UNSENT, waiting=_SENDING),
    Pending(Escalation, Link.request, "request_id", {"status": "cancelled"}, stamp="done_at"),
    Pending(Handover, Link.request, "request_id", {"status": "declined"}, stamp="decided_at"),
    # A draft is a handover still being written: left alone, its holder could finish it.
    Pending(
        Handover,
        Link.request,
        "request_id",
        {"status": "cancelled"},
        waiting=("draft",),
        stamp="decided_at",
    ),
    Pending(
        ScheduledCall,
        Link.request,
        "request_id",
        {"status": "cancelled"},
        waiting=("draft", "scheduled"),
    ),
    Pending(
        CallSeries, Link.request, "request_id", {"status": "cancelled"}, waiting=("draft", "active")
    ),
    Pending(
        CallAlert,
        Link.request,
        "request_id",
        {"status": "closed"},
        waiting=("open",),
        stamp="closed_at",
    ),
    Pending(
        Request,
        Link.request,
        "id",
        {"status": "cancelled"},
        waiting=("open", "claimed"),
        stamp="resolved_at",
    ),
    Pending(ErasureRequest, Link.resident, "resident_id", {"status": "done"}, stamp="decided_at"),
    Pending(EmailOutbox, Link.request, "request_id", _UNSENT, waiting=_SENDING),
)
