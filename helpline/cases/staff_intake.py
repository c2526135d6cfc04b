"""A request that a staff member took by phone (``/nieuw``), stored as a resident's would be.

The draft is an ``intake_draft`` row with ``flow = "staff"`` in the staff member's
private chat, so it survives a restart like the resident intake does. The edge turns
each message or press into an ``Input`` and sends the replies returned here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from flows import phone_intake as pi
from flows.conversation import Input, Reply
from flows.phone_intake import StaffDraft
from flows.submission import resolve
from helpline.cases.access import Actor, actor_for
from helpline.cases.cards import alert_crisis, post_card
from helpline.cases.contacts import count_contact
from helpline.cases.core import Services
from helpline.cases.drafts import staff_draft, store_staff_draft
from storage import repository as repo
from storage.models import Channel, Direction, IntakeDraft, Request

STAFF_FLOW = "staff"
# Staff read the privacy notice out and record the resident's spoken consent.
STAFF_RECORDED_CONSENT = "verbal_staff"


async def start_staff_intake(
    session: AsyncSession, services: Services, telegram_user_id: int, chat_id: int, *, private: bool
) -> str | tuple[Reply, ...]:
    """``/nieuw``: opens a fresh staff intake in ``chat_id`` and returns its first replies.

    Returns the refusal text instead, and stores nothing, for anyone who is not staff,
    for volunteers (``phone_intake`` not allowed) and outside a private chat. A draft
    already open in the chat is replaced.
    """
    t, lang = services.texts, services.staff_language
    actor = await actor_for(session, telegram_user_id)
    if actor is None:
        return t("not_staff_command", lang)
    if not actor.may("phone_intake"):
        return t("not_for_volunteers", lang)
    if not private:
        return t("private_chat_only", lang)
    outcome = pi.begin(services.intake, lang)
    await repo.delete_draft(session=session, chat_id=chat_id)
    row = IntakeDraft(
        chat_id=chat_id,
        user_id=telegram_user_id,
        flow=STAFF_FLOW,
        step="",
        language=lang,
        created_at=services.clock(),
    )
    store_staff_draft(services, row, outcome.draft)
    session.add(row)
    return outcome.replies


@dataclass(frozen=True)
class OpenStaffIntake:
    """A staff intake open in a chat, and the staff member (allowed it) who continues it."""

    actor: Actor
    row: IntakeDraft


async def open_staff_intake(
    session: AsyncSession, telegram_user_id: int, chat_id: int
) -> OpenStaffIntake | None:
    """The staff intake open in ``chat_id`` for this sender; None when the chat has no
    staff draft or the sender (no longer) may take a phone intake."""
    row = await repo.get_draft(session=session, chat_id=chat_id)
    if row is None or row.flow != STAFF_FLOW:
        return None
    actor = await actor_for(session, telegram_user_id)
    if actor is None or not actor.may("phone_intake"):
        return None
    return OpenStaffIntake(actor, row)


async def staff_intake_step(
    session: AsyncSession, services: Services, opened: OpenStaffIntake, event: Input
) -> tuple[Reply, ...]:
    """Feeds ``event`` to the open staff intake and returns the replies.

    Cancelled, the draft is deleted; finished, the request is registered (card posted,
    crisis alerted) and the draft deleted; otherwise the next step is stored.
    """
    lang, row = services.staff_language, opened.row
    outcome = pi.step(services.intake, staff_draft(row), event, lang)
    if outcome.cancelled:
        await repo.delete_draft(session=session, chat_id=row.chat_id)
        return outcome.replies
    if not outcome.done:
        store_staff_draft(services, row, outcome.draft)
        return outcome.replies
    request = await submit_staff_intake(session, services, actor=opened.actor, draft=outcome.draft)
    await repo.delete_draft(session=session, chat_id=row.chat_id)
    known = services.texts(
        "known_known" if request.new_or_known == "bekend" else "known_new", lang, count="", open=""
    )
    text = services.texts(
        "pi_submitted",
        lang,
        reference=request.reference,
        queue=services.config.queue_label(request.queue, lang),
        known=known,
    )
    return (Reply(text),)


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
