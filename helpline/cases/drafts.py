"""An intake draft between its stored row and the pure flows that step it.

Residents' intakes (``flows.intake.Draft``) and staff members' phone intakes
(``flows.phone_intake.StaffDraft``) share one table, ``intake_draft``; both map here,
in one place, so a new field is added once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.intake import Draft, Step
from flows.phone_intake import StaffDraft, StaffStep
from helpline.cases.core import Services
from storage.models import IntakeDraft
from storage.repository.drafts import DraftRow

# A stored draft: the mapped row (staff intakes, tests) or the resident hot path's plain row.
AnyDraftRow = IntakeDraft | DraftRow


def resident_draft(row: AnyDraftRow) -> Draft:
    """A resident's pure draft from its stored row."""
    return Draft(
        step=Step(row.step),
        language=row.language,
        first_name=row.first_name,
        consented=row.consent_at is not None,
        question=row.question,
        category=row.category,
        alternatives=tuple(a for a in row.alternatives.split(",") if a),
        urgency=row.urgency,
        kind=row.kind,
        village=row.village,
        phone=row.phone,
        contact_preference=row.contact_preference,
        preferred_time=row.preferred_time,
    )


def store_resident_draft(services: Services, row: AnyDraftRow, draft: Draft) -> AnyDraftRow:
    """Copies a resident's pure draft onto its row, stamping consent the moment it is given."""
    now = services.clock()
    if draft.consented and row.consent_at is None:
        row.consent_at = now
        row.consent_version = services.config.organisation.privacy_version
    values = {
        "step": draft.step.value,
        "language": draft.language,
        "first_name": draft.first_name,
        "question": draft.question,
        "category": draft.category,
        "alternatives": ",".join(draft.alternatives),
        "urgency": draft.urgency,
        "kind": draft.kind,
        "village": draft.village,
        "phone": draft.phone,
        "contact_preference": draft.contact_preference,
        "preferred_time": draft.preferred_time,
    }
    return _set_changed(row, values, now)


def staff_draft(row: IntakeDraft) -> StaffDraft:
    """A staff member's pure phone-intake draft from its stored row."""
    return StaffDraft(
        step=StaffStep(row.step),
        channel=row.channel,
        location=row.location,
        first_name=row.first_name,
        phone=row.phone,
        village=row.village,
        question=row.question,
        category=row.category,
        kind=row.kind,
        urgency=row.urgency,
    )


def store_staff_draft(services: Services, row: IntakeDraft, draft: StaffDraft) -> IntakeDraft:
    """Copies a staff member's pure draft onto its row."""
    values = {
        "step": draft.step.value,
        "channel": draft.channel,
        "location": draft.location,
        "first_name": draft.first_name,
        "phone": draft.phone,
        "village": draft.village,
        "question": draft.question,
        "category": draft.category,
        "kind": draft.kind,
        "urgency": draft.urgency,
    }
    return _set_changed(row, values, services.clock())


def _set_changed(row: Any, values: dict[str, Any], now: datetime) -> Any:
    # Only what changed is set: each assignment to a mapped attribute runs the ORM's
    # change tracking, and a step changes one or two fields. (A ``DraftRow`` is plain.)
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    row.updated_at = now
    return row
