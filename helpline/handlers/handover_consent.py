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
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.conversation import Button
from helpline.services import Services
from storage import repository as repo
from storage.models import Handover

Answer = tuple[str, tuple[tuple[Button, ...], ...]]

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
        (Button(t("btn_consent_given", lang), f"hd:consent:{handover.id}"),),
        (Button(t("btn_consent_safety", lang), f"hd:safety:{handover.id}"),),
        (Button(t("btn_consent_stop", lang), f"hd:stop:{handover.id}"),),
    )
    return text, buttons


def ask_note(services: Services, handover: Handover) -> Answer:
    """Asks for the note for the receiver, or 'no note'."""
    t, lang = services.texts, services.staff_language
    button = Button(t("btn_no_note", lang), f"hd:nonote:{handover.id}")
    return t("handover_ask_note", lang), ((button,),)


def ask_reason(services: Services, handover: Handover, key: str = "handover_ask_reason") -> Answer:
    """Asks for the typed reason of a safety override (or stop)."""
    t, lang = services.texts, services.staff_language
    stop = Button(t("btn_consent_stop", lang), f"hd:stop:{handover.id}")
    return t(key, lang, min=str(MIN_REASON), max=str(MAX_REASON)), ((stop,),)


async def consent_step(
    session: AsyncSession, services: Services, handover: Handover, step: str
) -> Answer:
    """Applies the holder's choice (consent, safety or stop) and asks what comes next."""
    t, lang = services.texts, services.staff_language
    if step == "stop":
        handover.status = "cancelled"
        request = await repo.get_request(session=session, request_id=handover.request_id)
        reference = request.reference if request else "?"
        return t("handover_stopped", lang, reference=reference), ()
    if step == CONSENT:
        handover.consent_basis, handover.consent_reason = CONSENT, None
        handover.consent_at = services.clock()
        return ask_note(services, handover)
    # Safety: the basis is chosen, the reason still to be typed (has_basis stays False).
    handover.consent_basis, handover.consent_reason, handover.consent_at = SAFETY, None, None
    return ask_reason(services, handover)


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
    handover.consent_reason, handover.consent_at = reason, services.clock()
    return ask_note(services, handover)
