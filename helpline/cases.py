"""Case operations that span several repository calls (one transaction, no Telegram calls).

Handlers call these inside ``db.session()``; messages that must not be lost are
written to the outbox here and delivered by the dispatcher after the commit.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.cards import CaseView
from flows.escalation import escalation_times
from flows.intake import Draft, Step
from flows.phone_intake import StaffDraft
from flows.routing import route
from flows.triage import Classification
from helpline.access import Actor
from helpline.queue_groups import queue_groups
from helpline.render import markup_json
from helpline.services import Services
from storage import repository as repo
from storage.models import Channel, Direction, IntakeDraft, Request, RequestStatus, Resident

VITAL_INTEREST = "vital_interest"  # consent basis when a crisis overrides the intake
# Staff read the privacy notice out and record the resident's spoken consent.
STAFF_RECORDED_CONSENT = "verbal_staff"


def draft_from_row(row: IntakeDraft) -> Draft:
    """The pure draft from its stored row."""
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


def update_row(services: Services, row: IntakeDraft, draft: Draft) -> IntakeDraft:
    """Copies the pure draft onto its row, stamping consent the moment it is given.

    Only what changed is set: each assignment to a model attribute runs the ORM's
    change tracking, and a step changes one or two fields of twelve.
    """
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
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    row.updated_at = now
    return row


async def case_view(
    session: AsyncSession,
    request: Request,
    *,
    full: bool = False,
    known: repo.Familiarity | None = None,
) -> CaseView:
    """The facts a card shows; ``full`` adds the question and phone for the claimer.

    ``known``: the resident's familiarity as found just before this request was created
    (by the resident's Telegram id and phone). Its earlier requests and other open one
    are this card's, so the two lookups are not made again.
    """
    resident = await session.get(Resident, request.resident_id) if request.resident_id else None
    assert request.id is not None
    # Earlier: the resident's requests before this one; open: another one still open.
    if known is None:
        known = await repo.familiarity(
            session=session,
            telegram_user_id=resident.telegram_user_id if resident else None,
            phone=resident.phone if resident else None,
            request_id=request.id,
        )
    earlier, open_queue = known.earlier_requests, known.open_queue
    return CaseView(
        request_id=request.id,
        reference=request.reference,
        category=request.category,
        urgency=request.urgency,
        village=request.village,
        first_name=resident.first_name if resident else None,
        known=request.new_or_known == "bekend",
        earlier_requests=earlier,
        open_queue=open_queue,
        question=request.summary if full else None,
        phone=resident.phone if (full and resident) else None,
        preferred_time=request.preferred_time,
    )


def queue_chats(services: Services) -> dict[str, int]:
    """Every queue's group chat: those linked with ``/koppel`` (``helpline.queue_groups``),
    and the QUEUE_CHATS setting, which wins where it names a queue."""
    return queue_groups(services.db).linked | services.settings.queue_chats


def queue_chat(services: Services, queue: str) -> int | None:
    """The group chat of a queue; the triage queue's group when it has none.

    Everything sent to a queue's group finds the chat here.
    """
    chats = queue_chats(services)
    return chats.get(queue) or chats.get(services.config.triage_queue)


async def schedule_escalations(
    session: AsyncSession, services: Services, request: Request, *, new: bool = False
) -> None:
    """Starts the escalation clock of a request that is (again) waiting in its queue.

    ``new``: created in this transaction, so there is no earlier clock to stop.
    """
    assert request.id is not None
    now = services.clock()
    if not new:
        await repo.cancel_escalations(session=session, request_id=request.id, now=now)
    stages = escalation_times(
        created_at=now,
        urgency=request.urgency,
        minutes=services.config.escalation_for(request.queue),
        hours=services.hours,
    )
    await repo.schedule_escalations(session=session, request_id=request.id, stages=stages, now=now)


async def post_card(
    session: AsyncSession,
    services: Services,
    request: Request,
    *,
    extra: str = "",
    known: repo.Familiarity | None = None,
    new: bool = False,
) -> None:
    """Puts the queue card with its Claim button in the outbox (``extra``: a line below it).

    The request is now waiting in its queue, so its escalation clock starts too.
    ``known``: see ``case_view``; ``new``: see ``schedule_escalations``.
    """
    await schedule_escalations(session, services, request, new=new)
    view = await case_view(session, request, known=known)
    chat = queue_chat(services, request.queue)
    if chat is not None:
        await repo.enqueue(
            now=services.clock(),
            session=session,
            chat_id=chat,
            text=services.cards.card(view) + (f"\n\n{extra}" if extra else ""),
            reply_markup=markup_json(services.cards.claim_buttons(view)),
            purpose="card",
            request_id=request.id,
        )


async def annotate_card(
    session: AsyncSession, services: Services, request: Request, line: str
) -> None:
    """Tells the queue group what became of a request (a short line under the card's thread)."""
    chat = request.card_chat_id or queue_chat(services, request.queue)
    if chat is not None:
        await repo.enqueue(
            now=services.clock(),
            session=session,
            chat_id=chat,
            text=f"{request.reference}{line}",
            purpose="card_note",
            request_id=request.id,
        )


async def tell_resident(
    session: AsyncSession, services: Services, request: Request, key: str, **values: str
) -> bool:
    """Queues a message to the resident's chat in their language; False when there is none."""
    resident = await session.get(Resident, request.resident_id) if request.resident_id else None
    if resident is None or resident.chat_id is None or resident.blocked_at is not None:
        return False
    await repo.enqueue(
        now=services.clock(),
        session=session,
        chat_id=resident.chat_id,
        text=services.texts(key, resident.language, **values),
        purpose="resident",
        request_id=request.id,
    )
    return True


async def alert_crisis(session: AsyncSession, services: Services, request: Request) -> None:
    """Alerts the crisis queue about an existing request."""
    chat = queue_chat(services, services.config.crisis_queue)
    if chat is None:
        return
    view = await case_view(session, request)
    await repo.enqueue(
        now=services.clock(),
        session=session,
        chat_id=chat,
        text=services.cards.crisis_alert(view),
        reply_markup=(
            markup_json(services.cards.claim_buttons(view)) if request.claimed_by is None else None
        ),
        purpose="alert",
        request_id=request.id,
    )


async def raise_crisis(
    session: AsyncSession,
    services: Services,
    *,
    resident: Resident,
    text: str,
    result: Classification,
    draft_row: IntakeDraft | None,
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
    await repo.log_contact(
        session=session,
        occurred_at=services.clock(),
        channel=Channel.telegram,
        direction=Direction.inbound,
        event="message",
        **repo.request_contact_fields(request),
    )


async def submit_intake(
    session: AsyncSession, services: Services, *, row: IntakeDraft, draft: Draft
) -> Request:
    """Turns a confirmed intake into a request, logs the contact and posts the card."""
    now = services.clock()
    resident = await repo.upsert_telegram_resident(
        session=session,
        telegram_user_id=row.user_id,
        chat_id=row.chat_id,
        first_name=draft.first_name,
        language=draft.language,
        phone=draft.phone,
        village=draft.village if draft.village in services.config.villages else None,
    )
    category = draft.category or "overig"
    fields = {
        "kind": draft.kind,
        "category": category,
        "village": draft.village if draft.village in services.config.villages else None,
        "summary": draft.question,
        "contact_preference": draft.contact_preference or "chat",
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
        urgency = max(
            (draft.urgency, services.config.categories[category].urgency),
            key=("normal", "urgent", "crisis").index,
        )
        queue = route(services.config, category=category, village=draft.village, urgency=urgency)
        request = await repo.create_request(
            session=session,
            prefix=services.config.organisation.reference_prefix,
            resident_id=resident.id,
            channel=Channel.telegram,
            urgency=urgency,
            queue=queue,
            new_or_known=known.label,
            created_at=now,
            **fields,
        )
        await post_card(session, services, request, known=known, new=True)
    await repo.log_contact(
        session=session,
        occurred_at=now,
        channel=Channel.telegram,
        direction=Direction.inbound,
        event="intake",
        **repo.request_contact_fields(request),
    )
    await repo.delete_draft(session=session, chat_id=row.chat_id)
    return request


async def submit_staff_intake(
    session: AsyncSession, services: Services, *, actor: Actor, draft: StaffDraft
) -> Request:
    """Registers a phone, walk-in or email request taken by staff, and posts its card."""
    now = services.clock()
    village = draft.village if draft.village in services.config.villages else None
    known = await repo.familiarity(session=session, telegram_user_id=None, phone=draft.phone)
    resident = await repo.find_or_add_resident(
        session=session,
        phone=draft.phone,
        first_name=draft.first_name,
        village=village,
        language=services.settings.default_language,
    )
    category = draft.category or "overig"
    urgency = max(
        (draft.urgency, services.config.categories[category].urgency),
        key=("normal", "urgent", "crisis").index,
    )
    request = await repo.create_request(
        session=session,
        prefix=services.config.organisation.reference_prefix,
        resident_id=resident.id,
        channel=Channel(draft.channel or "phone"),
        location=draft.location,
        kind=draft.kind,
        category=category,
        urgency=urgency,
        village=village,
        queue=route(services.config, category=category, village=draft.village, urgency=urgency),
        summary=draft.question,
        contact_preference="phone" if draft.phone else "none",
        language=resident.language,
        new_or_known=known.label,
        consent_at=now,
        consent_version=STAFF_RECORDED_CONSENT,
        created_at=now,
    )
    await repo.log_contact(
        session=session,
        occurred_at=now,
        channel=request.channel,
        direction=Direction.inbound,
        event="intake",
        staff_id=actor.id,
        **repo.request_contact_fields(request),
    )
    await post_card(session, services, request, new=True)
    if urgency == "crisis":
        await alert_crisis(session, services, request)
    return request
