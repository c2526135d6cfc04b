"""A resident's intake in the database: the draft, its submission and a crisis raised mid-way.

One transaction per call, no Telegram: messages that must not be lost go to the outbox
and are delivered by the dispatcher after the commit.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.intake import Draft
from flows.submission import resolve
from flows.triage import Classification
from helpline.cases.cards import alert_crisis, post_card, schedule_escalations
from helpline.cases.contacts import count_contact
from helpline.cases.core import Services
from helpline.cases.drafts import AnyDraftRow
from storage import repository as repo
from storage.models import Channel, Direction, Request, RequestStatus, Resident
from storage.repository import hot

VITAL_INTEREST = "vital_interest"  # consent basis when a crisis overrides the intake


async def raise_crisis(
    session: AsyncSession,
    services: Services,
    *,
    resident: Resident,
    text: str,
    result: Classification,
    draft_row: AnyDraftRow | None,
) -> Request:
    """Marks the open request crisis (or opens one) and alerts the crisis queue at once.

    A crisis does not wait for consent: safety comes first (AVG art. 6(1)(d), vital
    interest), and the request records that basis.
    """
    request = await repo.latest_open_request(session=session, resident_id=resident.id or 0)
    if draft_row is not None and draft_row.request_id is not None:
        request = await repo.get_request(session=session, request_id=draft_row.request_id)
    if request is not None:
        request.urgency = "crisis"
        if request.status == RequestStatus.open:
            request.queue = services.config.crisis_queue
        await session.flush()
        await alert_crisis(session, services, request)
        if request.status == RequestStatus.open:
            await schedule_escalations(session, services, request)
    else:
        known = await repo.familiarity(
            session=session, telegram_user_id=resident.telegram_user_id, phone=resident.phone
        )
        request = await repo.create_request(
            session=session,
            prefix=services.config.organisation.reference_prefix,
            resident_id=resident.id,
            channel=Channel.telegram,
            kind=result.kind,
            category=result.category,
            urgency="crisis",
            village=resident.village,
            queue=services.config.crisis_queue,
            summary=text,
            language=resident.language,
            new_or_known=known.label,
            consent_at=services.clock(),
            consent_version=VITAL_INTEREST,
            created_at=services.clock(),
        )
        await post_card(session, services, request, known=known, new=True)
    if draft_row is not None:
        # Kept as a note: the request's summary becomes the intake's question. Outside
        # an intake the message handler keeps the message (and logs it as a contact).
        await repo.add_note(
            session=session, request_id=request.id or 0, author="resident", text=text
        )
        draft_row.request_id = request.id
        draft_row.urgency = "crisis"
    return request


async def log_resident_message(session: AsyncSession, services: Services, request: Request) -> None:
    """Logs a message the resident sent about ``request`` as an inbound contact."""
    await count_contact(
        session, request, services.clock(), Channel.telegram, Direction.inbound, "message"
    )


async def submit_intake(
    session: AsyncSession, services: Services, *, row: AnyDraftRow, draft: Draft
) -> Request:
    """Turns a confirmed intake into a request, logs the contact and posts the card."""
    now = services.clock()
    # Where it goes is decided by the flows alone; here it is only stored.
    submission = resolve(
        services.config,
        category=draft.category,
        urgency=draft.urgency,
        village=draft.village,
        contact_preference=draft.contact_preference or "chat",
    )
    resident = await repo.upsert_telegram_resident(
        session=session,
        telegram_user_id=row.user_id,
        chat_id=row.chat_id,
        first_name=draft.first_name,
        language=draft.language,
        phone=draft.phone,
        village=submission.village,
    )
    fields = {
        "kind": draft.kind,
        "category": submission.category,
        "village": submission.village,
        "summary": draft.question,
        "contact_preference": submission.contact_preference,
        "preferred_time": draft.preferred_time,
        "language": draft.language,
        "consent_at": row.consent_at,
        "consent_version": row.consent_version,
    }
    request = None
    if row.request_id is not None:  # a crisis during the intake already opened it
        request = await repo.get_request(session=session, request_id=row.request_id)
    if request is not None:
        for name, value in fields.items():
            setattr(request, name, value)
        await session.flush()
    else:
        # By the resident row just stored (its phone may be an earlier one), as the
        # card's own lookup would be: then the card can reuse it.
        known = await repo.familiarity(
            session=session, telegram_user_id=resident.telegram_user_id, phone=resident.phone
        )
        # A Core insert (the hot path): the request is only read after this.
        request = await hot.insert_request(
            session,
            prefix=services.config.organisation.reference_prefix,
            resident_id=resident.id,
            channel=Channel.telegram,
            urgency=submission.urgency,
            queue=submission.queue,
            new_or_known=known.label,
            created_at=now,
            **fields,
        )
        await post_card(session, services, request, known=known, new=True)
    await hot.append_contact(
        session,
        occurred_at=now,
        channel=Channel.telegram,
        direction=Direction.inbound,
        event="intake",
        **repo.request_contact_fields(request),
    )
    await repo.delete_draft(session=session, chat_id=row.chat_id)
    return request


async def runs_for_resident(session: AsyncSession, *, user_id: int, chat_id: int) -> bool:
    """True when ``chat_id`` has an intake running and ``user_id`` is not staff.

    Such a resident's staff command (``/wachtrij``, ``/mijn`` ...) is an intake input:
    it gets the intake's re-prompt instead of a staff refusal.
    """
    if await repo.get_staff(session=session, telegram_user_id=user_id) is not None:
        return False
    return await repo.get_draft(session=session, chat_id=chat_id) is not None
