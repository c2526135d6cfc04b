"""The basis for sharing a resident's details on a warm handover (AVG): consent or safety.

A handover moves the request, and so the resident's details, to another team. The
holder chooses one of three, explicitly:

- **consent** — the resident agreed (``Bewoner gaf toestemming``);
- **safety** — no consent, but someone's safety is at stake (AVG art. 6(1)(d), vital
  interest); the holder must type why, and the reason is kept on the handover row;
- **stop** — no consent and no safety reason: the handover is cancelled, the holder
  keeps the request.

The choice is stored on the ``Handover`` row (``consent_basis``, ``consent_reason``,
``consent_at``) and its basis in the audit row written when the handover is sent.

Every choice is a conditional update on a draft whose request is still held by the one
choosing (``repo.change_draft_handover``): a holder who has released the request, or
whose request was closed or erased, cannot record a basis for sharing any more.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.conversation import Button, callback
from helpline.cases import audit
from helpline.cases.access import Actor
from helpline.cases.answers import Answer
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import AuditAction, Handover, Request, RequestStatus
from storage.repository.casework import cancel_draft_handover, change_draft_handover

CONSENT, SAFETY = "consent", "safety"
MIN_REASON = 10  # characters: a reason, not "x" or "ja"
MAX_REASON = 1000


def has_basis(handover: Handover) -> bool:
    """True when the handover may be sent: consent given, or a safety reason typed."""
    if handover.consent_basis == CONSENT:
        return handover.consent_at is not None
    if handover.consent_basis == SAFETY:
        return bool(handover.consent_reason) and handover.consent_at is not None
    return False


def may_go_on(actor: Actor, request: Request | None, handover: Handover) -> bool:
    """True while ``actor`` may still work on their draft ``handover`` of ``request``.

    Checked at every step, at the moment of the press: a handover needs the permission
    and the request still in the holder's hands. A referral's draft needs the right to
    resolve the request (coordinators may refer a request they do not hold).
    """
    if request is None or handover.from_staff_id != actor.id:
        return False
    if handover.to_partner is not None:
        open_ = request.status in (RequestStatus.open, RequestStatus.claimed)
        return open_ and actor.may("resolve", request)
    held = request.status == RequestStatus.claimed and request.claimed_by == actor.id
    return held and actor.may("handover", request)


async def new_draft(session: AsyncSession, actor: Actor, request: Request, queue: str) -> Handover:
    """A draft handover of ``request`` by ``actor`` to ``queue``: nothing is shared until
    it has a basis and is sent."""
    return await repo.create_handover(
        session=session,
        request_id=request.id or 0,
        from_staff_id=actor.id,
        to_queue=queue,
        status="draft",
    )


async def audit_sent(
    session: AsyncSession, services: Services, actor: Actor, request: Request, handover: Handover
) -> None:
    """Writes the audit row of a handover that leaves its holder: where to, and on what
    basis the resident's details go along."""
    if handover.to_partner is not None:
        where = f"to_partner={handover.to_partner}"
    else:
        where = f"to_queue={handover.to_queue} to_staff={handover.to_staff_id or 'any'}"
    detail = f"handover={handover.id} {where} basis={handover.consent_basis}"
    await audit.record(session, services, actor.id, AuditAction.handover, request, detail)


async def stop_stale_draft(session: AsyncSession, services: Services, handover: Handover) -> Answer:
    """Cancels a draft its writer may no longer finish, and says so."""
    t, lang = services.texts, services.staff_language
    cancelled = await cancel_draft_handover(session=session, handover=handover)
    if not cancelled and handover.status != "cancelled":  # sent meanwhile (a double press)
        return t("handover_gone", lang), ()
    request = await repo.get_request(session=session, request_id=handover.request_id)
    reference = request.reference if request else "?"
    return t("handover_not_holder", lang, reference=reference), ()


async def ask_consent(
    session: AsyncSession, services: Services, handover: Handover, *, first: bool = False
) -> Answer:
    """Asks the holder for the basis of sharing: consent, safety, or stop.

    Args:
        first: the holder tried to go on without choosing; the question says so.
    """
    t, lang = services.texts, services.staff_language
    request = await repo.get_request(session=session, request_id=handover.request_id)
    reference = request.reference if request else "?"
    person = (
        await repo.get_staff_by_id(session=session, staff_id=handover.to_staff_id)
        if handover.to_staff_id
        else None
    )
    target = person.name if person else services.config.queue_label(handover.to_queue, lang)
    text = t("handover_ask_consent", lang, reference=reference, target=target)
    if first:
        text = t("handover_consent_first", lang) + "\n\n" + text
    buttons = (
        (Button(t("btn_consent_given", lang), callback("hd", "consent", handover.id)),),
        (Button(t("btn_consent_safety", lang), callback("hd", "safety", handover.id)),),
        (Button(t("btn_consent_stop", lang), callback("hd", "stop", handover.id)),),
    )
    return text, buttons


def ask_note(services: Services, handover: Handover) -> Answer:
    """Asks for the note for the receiver, or 'no note'."""
    t, lang = services.texts, services.staff_language
    button = Button(t("btn_no_note", lang), callback("hd", "nonote", handover.id))
    return t("handover_ask_note", lang), ((button,),)


def ask_reason(services: Services, handover: Handover, key: str = "handover_ask_reason") -> Answer:
    """Asks for the typed reason of a safety override (or stop)."""
    t, lang = services.texts, services.staff_language
    stop = Button(t("btn_consent_stop", lang), callback("hd", "stop", handover.id))
    return t(key, lang, min=str(MIN_REASON), max=str(MAX_REASON)), ((stop,),)


async def consent_step(
    session: AsyncSession, services: Services, handover: Handover, step: str
) -> Answer:
    """Applies the holder's choice (consent, safety or stop) and asks what comes next."""
    t, lang = services.texts, services.staff_language
    if step == "stop":
        if not await cancel_draft_handover(session=session, handover=handover):
            return t("handover_gone", lang), ()
        request = await repo.get_request(session=session, request_id=handover.request_id)
        reference = request.reference if request else "?"
        return t("handover_stopped", lang, reference=reference), ()
    if step == CONSENT:
        values = {"consent_basis": CONSENT, "consent_reason": None, "consent_at": services.clock()}
    else:  # safety: the basis is chosen, the reason still to be typed (has_basis stays False)
        values = {"consent_basis": SAFETY, "consent_reason": None, "consent_at": None}
    if not await change_draft_handover(session=session, handover=handover, values=values):
        return await stop_stale_draft(session, services, handover)
    return ask_note(services, handover) if step == CONSENT else ask_reason(services, handover)


async def draft_text(
    session: AsyncSession, services: Services, handover: Handover, text: str
) -> Answer:
    """A typed text while the basis is not complete: the safety reason, or a reminder."""
    if handover.consent_basis != SAFETY:
        return await ask_consent(session, services, handover, first=True)
    reason = text.strip()
    if len(reason) < MIN_REASON:
        return ask_reason(services, handover, "handover_reason_short")
    if len(reason) > MAX_REASON:
        return ask_reason(services, handover, "handover_reason_long")
    values = {"consent_reason": reason, "consent_at": services.clock()}
    held = handover.to_partner is None  # a referral's caller checked the right to resolve
    if not await change_draft_handover(
        session=session, handover=handover, values=values, held=held
    ):
        return await stop_stale_draft(session, services, handover)
    return ask_note(services, handover)
