"""The repository: keyword-only async functions taking the session first.

Handlers call these and never build SQL themselves; nothing here imports telegram.
"""

from storage.repository.contacts import add_note, log_contact, request_contact_fields
from storage.repository.drafts import delete_draft, get_draft, save_draft
from storage.repository.outbox import claim_due, enqueue, mark_failed, mark_retry, mark_sent
from storage.repository.requests import (
    claim_request,
    create_request,
    get_request,
    latest_open_request,
    next_reference,
    set_card,
)
from storage.repository.residents import (
    Familiarity,
    familiarity,
    get_resident_by_telegram_id,
    upsert_telegram_resident,
)
from storage.repository.staff import (
    StaffExistsError,
    add_staff,
    get_staff,
    get_staff_by_id,
    list_staff,
    remove_staff,
    set_queues,
    staff_queues,
)

__all__ = [
    "Familiarity",
    "StaffExistsError",
    "add_note",
    "add_staff",
    "claim_due",
    "claim_request",
    "create_request",
    "delete_draft",
    "enqueue",
    "familiarity",
    "get_draft",
    "get_request",
    "get_resident_by_telegram_id",
    "get_staff",
    "get_staff_by_id",
    "latest_open_request",
    "list_staff",
    "log_contact",
    "mark_failed",
    "mark_retry",
    "mark_sent",
    "next_reference",
    "remove_staff",
    "request_contact_fields",
    "save_draft",
    "set_card",
    "set_queues",
    "staff_queues",
    "upsert_telegram_resident",
]
