"""The repository: keyword-only async functions taking the session first.

Handlers call these and never build SQL themselves; nothing here imports telegram.
"""

from storage.repository.audit import audit_entries, record_audit
from storage.repository.casework import (
    create_handover,
    decide_handover,
    draft_handover,
    held_requests,
    mark_blocked,
    open_requests,
    queue_members,
    release_request,
    resolve_request,
    set_active_request,
)
from storage.repository.contacts import add_note, log_contact, request_contact_fields
from storage.repository.drafts import delete_draft, get_draft, save_draft
from storage.repository.escalations import (
    cancel_escalations,
    schedule_escalations,
    take_due_escalations,
)
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
    find_or_add_resident,
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
    "audit_entries",
    "cancel_escalations",
    "claim_due",
    "claim_request",
    "create_handover",
    "create_request",
    "decide_handover",
    "delete_draft",
    "draft_handover",
    "enqueue",
    "familiarity",
    "find_or_add_resident",
    "get_draft",
    "get_request",
    "get_resident_by_telegram_id",
    "get_staff",
    "get_staff_by_id",
    "held_requests",
    "latest_open_request",
    "list_staff",
    "log_contact",
    "mark_blocked",
    "mark_failed",
    "mark_retry",
    "mark_sent",
    "next_reference",
    "open_requests",
    "queue_members",
    "record_audit",
    "release_request",
    "remove_staff",
    "request_contact_fields",
    "resolve_request",
    "save_draft",
    "schedule_escalations",
    "set_active_request",
    "set_card",
    "set_queues",
    "staff_queues",
    "take_due_escalations",
    "upsert_telegram_resident",
]
