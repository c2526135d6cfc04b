"""A request that a staff member took by phone (``/nieuw``), stored as a resident's would be."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.phone_intake import StaffDraft
from flows.submission import resolve
from helpline.cases.access import Actor
from helpline.cases.cards import alert_crisis, post_card
from helpline.cases.contacts import count_contact
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import Channel, Direction, Request

# Staff read the privacy notice out and record the resident's spoken consent.
STAFF_RECORDED_CONSENT = "verbal_staff"


async def submit_staff_intake(
    session: AsyncSession, services: Services, *, actor: Actor, draft: StaffDraft
) -> Request:
    """Registers a phone, walk-in or email request taken by staff, and posts its card."""
    now = services.clock()
    submission = resolve(
        services.config,
        category=draft.category,
        urgency=draft.urgency,
        village=draft.village,
        contact_preference="phone" if draft.phone else "none",
    )
    known = await repo.familiarity(session=session, telegram_user_id=None, phone=draft.phone)
    resident = await repo.find_or_add_resident(
        session=session,
        phone=draft.phone,
        first_name=draft.first_name,
        village=submission.village,
        language=services.settings.default_language,
    )
    request = await repo.create_request(
        session=session,
        prefix=services.config.organisation.reference_prefix,
        resident_id=resident.id,
        channel=Channel(draft.channel or "phone"),
        location=draft.location,
        kind=draft.kind,
        category=submission.category,
        urgency=submission.urgency,
        village=submission.village,
        queue=submission.queue,
        summary=draft.question,
        contact_preference=submission.contact_preference,
        language=resident.language,
        new_or_known=known.label,
        consent_at=now,
        consent_version=STAFF_RECORDED_CONSENT,
        created_at=now,
    )
    await count_contact(
        session, request, now, request.channel, Direction.inbound, "intake", actor.id
    )
    await post_card(session, services, request, new=True)
    if submission.urgency == "crisis":
        await alert_crisis(session, services, request)
    return request
