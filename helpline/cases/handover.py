"""A warm handover's sending and deciding, for every edge (Telegram's buttons, the web page).

``send_handover`` makes a draft with a basis for sharing pending and posts it to the
person or the queue's group; ``decide`` takes the receiver's accept or decline, and
``tell_about_handover`` tells the former holder (and on accept the resident) what was
decided. ``handover_from_page`` is the web page's one
form: the target queue, the basis (consent, or a safety reason) and a note, checked and
sent in one transaction. Every step is a conditional update on the draft and its
request still held by the sender (``storage.repository.casework``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from flows.conversation import Button, callback, markup_json
from helpline.cases import audit, cards
from helpline.cases.access import Actor
from helpline.cases.answers import Answer, Popup
from helpline.cases.contacts import count_contact
from helpline.cases.core import Services
from helpline.cases.handover_consent import (
    CONSENT,
    MAX_REASON,
    MIN_REASON,
    SAFETY,
    audit_sent,
    has_basis,
    new_draft,
    stop_stale_draft,
)
from helpline.cases.queue_groups import queue_chat
from storage import repository as repo
from storage.models import AuditAction, Channel, Direction, Handover, Request, RequestStatus
from storage.repository.casework import change_draft_handover

MAX_NOTE = 1000


async def send_handover(
    session: AsyncSession, services: Services, actor: Actor, handover: Handover, note: str | None
) -> Answer:
    """Makes the handover pending and posts it to the person or the queue's group.

    Sent only while it is still a draft and its request is still held by the sender.
    """
    t, lang, config = services.texts, services.staff_language, services.config
    assert has_basis(handover)  # callers check: no sharing without consent or a safety reason
    values = {"status": "pending", "note": note}
    if not await change_draft_handover(session=session, handover=handover, values=values):
        return await stop_stale_draft(session, services, handover)
    request = await repo.get_request(session=session, request_id=handover.request_id)
    assert request is not None
    await audit_sent(session, services, actor, request, handover)
    view = await cards.case_view(session, request)
    village = config.villages.get(view.village or "")
    category = config.categories.get(request.category)
    text = (
        t(
            "handover_card",
            lang,
            reference=request.reference,
            staff=actor.staff.name,
            category=category.label(lang) if category else request.category,
            village=village.name if village else t("unknown", lang),
            note=handover.note or "-",
        )
        + "\n"
        + t(f"handover_basis_{handover.consent_basis}", lang)
    )
    buttons = (
        (
            Button(t("btn_accept", lang), callback("ho", "accept", handover.id)),
            Button(t("btn_decline", lang), callback("ho", "decline", handover.id)),
        ),
    )
    person = (
        await repo.get_staff_by_id(session=session, staff_id=handover.to_staff_id)
        if handover.to_staff_id
        else None
    )
    chat = person.telegram_user_id if person else queue_chat(services, handover.to_queue)
    if chat is not None:
        await repo.enqueue(
            now=services.clock(),
            session=session,
            chat_id=chat,
            text=text,
            reply_markup=markup_json(buttons),
            purpose="handover",
            request_id=request.id,
        )
    target = person.name if person else config.queue_label(handover.to_queue, lang)
    return t("handover_asked", lang, reference=request.reference, queue=target), ()


async def tell_about_handover(
    session: AsyncSession, services: Services, actor: Actor, request: Request, handover: Handover
) -> None:
    """Tells the former holder, and on accept the resident, what happened (via the outbox)."""
    t, lang = services.texts, services.staff_language
    accepted = handover.status == "accepted"
    holder = await repo.get_staff_by_id(session=session, staff_id=handover.from_staff_id)
    if holder is not None:
        key = "handover_accepted_holder" if accepted else "handover_declined_holder"
        await repo.enqueue(
            now=services.clock(),
            session=session,
            chat_id=holder.telegram_user_id,
            purpose="handover",
            request_id=request.id,
            text=t(key, lang, staff=actor.staff.name, reference=request.reference),
        )
        if accepted:
            await repo.set_active_request(session=session, staff_id=holder.id or 0, request_id=None)
    if not accepted:
        return
    await session.refresh(request)
    await count_contact(
        session,
        request,
        services.clock(),
        Channel.telegram,
        Direction.internal,
        "handover",
        actor.id,
    )
    await cards.tell_resident(
        session,
        services,
        request,
        "handover_resident",
        staff=actor.staff.name,
        queue=services.config.queue_label(request.queue, request.language),
        reference=request.reference,
        when=services.texts("handover_when", request.language),
    )


@dataclass(frozen=True)
class Decision:
    """What a receiver's accept or decline came to, shown once it is committed.

    ``line`` is added to the pressed card's text (None: the card stays as it is);
    ``popup`` answers a press that decided nothing, else the press is answered plainly
    and ``decided`` is True.
    """

    line: str | None
    popup: str | None = None

    @property
    def decided(self) -> bool:
        """True when this press accepted or declined the handover."""
        return self.popup is None


async def decide(
    session: AsyncSession, services: Services, actor: Actor, handover_id: int, accept: bool
) -> Decision | Popup:
    """``actor`` accepts or declines the pending handover ``handover_id``; the first
    decision wins (a conditional update), and is audited and told to the former holder.

    Returns a popup when the handover is gone or not for ``actor`` (nothing changed);
    else the ``Decision``, which also covers a handover voided just now because its
    request left its holder's hands since it was sent.
    """
    t, lang = services.texts, services.staff_language
    handover = await session.get(Handover, handover_id)
    request = (
        await repo.get_request(session=session, request_id=handover.request_id)
        if handover
        else None
    )
    if handover is None or request is None or handover.status != "pending":
        return Popup(t("handover_gone", lang))
    if not actor.may("accept_handover", request, handover):
        return Popup(t("claim_not_your_queue", lang))
    decided = await repo.decide_handover(
        session=session,
        handover_id=handover_id,
        staff_id=actor.id,
        accept=accept,
        now=services.clock(),
    )
    if decided is None:
        await session.refresh(handover)
        if handover.status != "cancelled":
            return Decision(None, t("handover_gone", lang))
        # Voided just now: the request was released, closed or claimed by someone else
        # since it was handed over. The card loses its buttons.
        stale = t("handover_stale", lang)
        return Decision("\n\n" + stale, stale)
    await audit.record(
        session,
        services,
        actor.id,
        AuditAction.handover_decided,
        request,
        f"handover={handover_id} decision={decided.status}",
    )
    await tell_about_handover(session, services, actor, request, decided)
    key = "handover_done_card" if accept else "handover_declined_card"
    return Decision(t(key, lang, staff=actor.staff.name))


async def handover_from_page(
    session: AsyncSession,
    services: Services,
    actor: Actor,
    request: Request,
    *,
    queue: str,
    basis: str,
    reason: str,
    note: str,
) -> str:
    """Hands the request over to ``queue`` from the web page's form; the notice to show
    (``handover_sent`` or why nothing was sent)."""
    if request.status != RequestStatus.claimed or request.claimed_by != actor.id:
        return "handover_not_holder"
    if not actor.may("handover", request):
        return "handover_not_holder"
    if queue not in services.config.queues or queue == request.queue:
        return "handover_bad_queue"
    reason = reason.strip()
    if basis == SAFETY and len(reason) < MIN_REASON:
        return "handover_reason_short"
    if basis == SAFETY and len(reason) > MAX_REASON:
        return "handover_reason_long"
    if basis not in (CONSENT, SAFETY):
        return "handover_no_basis"  # no consent and no safety reason: nothing is shared
    handover = await new_draft(session, actor, request, queue)
    values = {
        "consent_basis": basis,
        "consent_reason": reason if basis == SAFETY else None,
        "consent_at": services.clock(),
    }
    if not await change_draft_handover(session=session, handover=handover, values=values):
        return "handover_not_holder"
    note = note.strip()[:MAX_NOTE]
    await send_handover(session, services, actor, handover, note or None)
    return "handover_sent" if handover.status == "pending" else "handover_not_holder"
