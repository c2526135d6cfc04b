"""Request cards in the queue groups and what the resident is told about their request."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.cards import CaseView
from flows.conversation import markup_json
from flows.escalation import escalation_times
from helpline.cases.core import Services
from helpline.cases.queue_groups import queue_chat
from storage import repository as repo
from storage.models import Request
from storage.repository import email as mails
from storage.repository import hot


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
    resident = (
        await hot.read_resident(session, request.resident_id) if request.resident_id else None
    )
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
    email = None
    # Only a resident with no phone who never used Telegram can be reached by email alone.
    by_mail_only = resident is not None and not resident.phone and not resident.telegram_user_id
    if full and by_mail_only and resident is not None and resident.id is not None:
        email = await mails.address_of(session=session, resident_id=resident.id)
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
        email=email,
        preferred_time=request.preferred_time,
    )


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
    await hot.append_escalations(session, request_id=request.id, stages=stages, now=now)


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
        await hot.append_outbox(
            session,
            now=services.clock(),
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
    resident = (
        await hot.read_resident(session, request.resident_id) if request.resident_id else None
    )
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
    await hot.append_outbox(
        session,
        now=services.clock(),
        chat_id=chat,
        text=services.cards.crisis_alert(view),
        reply_markup=(
            markup_json(services.cards.claim_buttons(view)) if request.claimed_by is None else None
        ),
        purpose="alert",
        request_id=request.id,
    )
