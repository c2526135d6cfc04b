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


# The fields a pure draft shares with its row by name; the rest are mapped by hand below.
_RESIDENT_FIELDS = (
    "language",
    "first_name",
    "question",
    "category",
    "urgency",
    "kind",
    "village",
    "phone",
    "contact_preference",
    "preferred_time",
)
_STAFF_FIELDS = (
    "channel",
    "location",
    "first_name",
    "phone",
    "village",
    "question",
    "category",
    "kind",
    "urgency",
)


def _shared(source: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(source, name) for name in names}


def resident_draft(row: AnyDraftRow) -> Draft:
    """A resident's pure draft from its stored row."""
    return Draft(
        step=Step(row.step),
        consented=row.consent_at is not None,
        alternatives=tuple(a for a in row.alternatives.split(",") if a),
        **_shared(row, _RESIDENT_FIELDS),
    )


def store_resident_draft(services: Services, row: AnyDraftRow, draft: Draft) -> AnyDraftRow:
    """Copies a resident's pure draft onto its row, stamping consent the moment it is given."""
    now = services.clock()
    if draft.consented and row.consent_at is None:
        row.consent_at = now
        row.consent_version = services.config.organisation.privacy_version
    values = {
        "step": draft.step.value,
        "alternatives": ",".join(draft.alternatives),
        **_shared(draft, _RESIDENT_FIELDS),
    }
    return _set_changed(row, values, now)


def staff_draft(row: IntakeDraft) -> StaffDraft:
    """A staff member's pure phone-intake draft from its stored row."""
    return StaffDraft(step=StaffStep(row.step), **_shared(row, _STAFF_FIELDS))


def store_staff_draft(services: Services, row: IntakeDraft, draft: StaffDraft) -> IntakeDraft:
    """Copies a staff member's pure draft onto its row."""
    values = {"step": draft.step.value, **_shared(draft, _STAFF_FIELDS)}
    return _set_changed(row, values, services.clock())


def _set_changed(row: Any, values: dict[str, Any], now: datetime) -> Any:
    # Only what changed is set: each assignment to a mapped attribute runs the ORM's
    # change tracking, and a step changes one or two fields. (A ``DraftRow`` is plain.)
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    row.updated_at = now
    return row
