"""The holder's case buttons: write to the resident, resolve (or refer), release, hand
over, correct the triage, show the number, ring the resident.

A press is ``case:<kind>_<value>:<request id>``. ``case_press`` checks, in the press's
transaction, that the presser may do that step on the request; ``case_step`` does it
and says what to answer. A refusal reveals nothing about the request.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from flows.conversation import Button, callback, rows
from flows.phone import display_phone
from helpline.cases import audit, cards, referral
from helpline.cases.access import Actor
from helpline.cases.answers import Answer, Popup
from helpline.cases.core import Services
from helpline.cases.dial import DialStart, start_dial
from helpline.cases.handover_draft import ask_handover_target
from helpline.cases.resolve import resolve_case
from helpline.cases.triage_correction import correct_triage
from storage import repository as repo
from storage.models import AuditAction, Request

RELEASE_REASONS = ("no_time", "wrong_queue", "other")

# Which permission each button step needs.
STEP_ACTION = {
    "write": "relay",
    "resolve": "resolve",
    "out": "resolve",
    "ref": "resolve",
    "rfn": "resolve",
    "rfc": "resolve",
    "rfs": "resolve",
    "phone": "relay",
    "dial": "relay",  # and not a volunteer: start_dial checks take_calls
    "release": "release",
    "rel": "release",
    "handover": "handover",
    "ho": "handover",
    "cat": "recategorise",
    "setcat": "recategorise",
    "miss": "mark_crisis",
}


@dataclass(frozen=True)
class Ring:
    """A Bel nu: the dial on record (the edge asks the provider to ring once it is
    committed), or the text saying why it cannot be done now."""

    start: DialStart | str


async def case_press(
    session: AsyncSession, services: Services, actor: Actor, request_id: int, step: str
) -> Answer | Popup | Ring:
    """``actor`` pressed the case button ``step`` (``<kind>_<value>``) of ``request_id``.

    Returns the refusal, or the resident's number (audited), as a popup; a Bel nu as a
    ``Ring``; else the message to answer with.
    """
    t, lang = services.texts, services.staff_language
    kind, _, value = step.partition("_")
    action = STEP_ACTION.get(kind)
    request = await repo.get_request(session=session, request_id=request_id)
    if request is None or action is None:
        return Popup(t("claim_gone", lang))
    if not actor.may(action, request):
        return Popup(t("not_holder", lang))
    if kind == "phone":
        view = await cards.case_view(session, request, full=True)
        number = display_phone(view.phone) if view.phone else t("contact_chat", lang)
        await audit.record(
            session, services, actor.id, AuditAction.view_phone, request, "via=button"
        )
        return Popup(t("phone_popup", lang, first_name=view.first_name or "?", phone=number))
    if kind == "dial":
        return Ring(await start_dial(session, services, actor, request))
    return await case_step(session, services, actor, request, kind, value)


async def case_step(
    session: AsyncSession, services: Services, actor: Actor, request: Request, kind: str, value: str
) -> Answer:
    """Does the step ``kind`` (with ``value``) that ``actor`` may do on ``request``: a
    menu to choose from, or the change itself and what came of it."""
    t, lang, config = services.texts, services.staff_language, services.config
    ref, rid = request.reference, request.id
    if kind == "write":
        await repo.set_active_request(session=session, staff_id=actor.id, request_id=rid)
        view = await cards.case_view(session, request)
        # The answer names the resident the messages go to.
        await audit.record(
            session, services, actor.id, AuditAction.view_details, request, "via=write"
        )
        return t("write_mode", lang, first_name=view.first_name or "?", reference=ref), ()
    if kind == "resolve":
        options = [
            Button(config.outcome_label(o, lang), callback("case", f"out_{o}", rid))
            for o in config.outcomes
        ]
        return t("ask_outcome", lang, reference=ref), rows(options, 1)
    if kind == "out" and value == "doorverwezen":
        partners = [
            Button(p.name, callback("case", f"ref_{p.key}", rid)) for p in config.partners.values()
        ]
        return t("ask_partner", lang, reference=ref), rows(partners, 2)
    if kind == "ref" or kind in referral.STEPS:  # a partner: first, what goes along?
        if value not in config.partners or "doorverwezen" not in config.outcomes:
            return t("claim_gone", lang), ()
        if kind == "ref":
            return referral.ask_shared(services, request, value)
        return await referral.referral_step(session, services, actor, request, kind, value)
    if kind == "out":
        if value not in config.outcomes:
            return t("claim_gone", lang), ()
        return await resolve_case(session, services, actor, request, value, None)
    if kind == "release":
        reasons = [
            Button(t(f"release_{r}", lang), callback("case", f"rel_{r}", rid))
            for r in RELEASE_REASONS
        ]
        return t("ask_release_reason", lang, reference=ref), rows(reasons, 1)
    if kind == "rel" and value in RELEASE_REASONS:
        return await release(session, services, actor, request, value)
    if kind == "handover":
        targets = [
            Button(config.queue_label(q, lang), callback("case", f"ho_{q}", rid))
            for q in config.queues
            if q != request.queue
        ]
        return t("ask_handover_target", lang, reference=ref), rows(targets, 1)
    if kind == "ho" and value in config.queues:
        return await ask_handover_target(session, services, actor, request, value)
    if kind in ("cat", "setcat", "miss"):
        return await correct_triage(session, services, actor, request, kind, value)
    return t("claim_gone", lang), ()


async def release(
    session: AsyncSession, services: Services, actor: Actor, request: Request, reason: str
) -> Answer:
    """Gives ``request`` back to its queue if ``actor`` still holds it: the card goes to
    the queue again with who released it and why (one of ``RELEASE_REASONS``)."""
    t, lang = services.texts, services.staff_language
    if not await repo.release_request(
        session=session, request_id=request.id or 0, staff_id=actor.id
    ):
        return t("not_holder", lang), ()
    await session.refresh(request)
    view = await cards.case_view(session, request)
    note = t("card_released", lang, staff=actor.staff.name, reason=t(f"release_{reason}", lang))
    await cards.post_card(session, services, request, extra=note)
    await repo.set_active_request(session=session, staff_id=actor.id, request_id=None)
    return t("released", lang, reference=view.reference), ()
