"""A draft handover's steps: its start, the writer's presses and the text they type next.

The holder picks a queue on the case card: ``ask_handover_target`` starts the draft and
asks for a person; ``draft_press`` takes the presses on the draft's buttons (the person,
the basis for sharing, no note); a typed text is the draft's safety reason or its note
(``note_for_draft``). Each is re-checked against the holder's claim when it arrives.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.conversation import Button, callback, rows
from helpline.cases.access import Actor, actor_for
from helpline.cases.answers import Answer, Popup
from helpline.cases.core import Services
from helpline.cases.handover import MAX_NOTE, send_handover
from helpline.cases.handover_consent import (
    ask_consent,
    ask_note,
    consent_step,
    draft_text,
    has_basis,
    may_go_on,
    new_draft,
    stop_stale_draft,
)
from helpline.cases.referral import finish_referral
from storage import repository as repo
from storage.models import Handover, Request, RequestStatus
from storage.repository.casework import change_draft_handover


async def ask_handover_target(
    session: AsyncSession, services: Services, actor: Actor, request: Request, queue: str
) -> Answer:
    """Starts a draft handover to ``queue`` and asks: anyone there, or a named person?"""
    t, lang = services.texts, services.staff_language
    # Only the holder hands over: the handover is decided on their claim.
    if request.status != RequestStatus.claimed or request.claimed_by != actor.id:
        return t("not_holder", lang), ()
    handover = await new_draft(session, actor, request, queue)
    members = await repo.queue_members(session=session, queue=queue)
    label = services.config.queue_label(queue, lang)
    choices = [
        Button(t("handover_anyone", lang, queue=label), callback("hd", "to_any", handover.id))
    ]
    choices += [
        Button(m.name, callback("hd", f"to_{m.id}", handover.id))
        for m in members
        if m.id != actor.id
    ]
    return t("handover_ask_person", lang, reference=request.reference), rows(choices, 1)


async def note_for_draft(
    session: AsyncSession, services: Services, actor: Actor, text: str
) -> Answer | None:
    """Uses a staff member's typed text for their draft handover, if they have one.

    The text is the safety reason while one is awaited, else the note (which sends it).
    """
    handover = await repo.draft_handover(session=session, from_staff_id=actor.id)
    if handover is None:
        return None
    request = await repo.get_request(session=session, request_id=handover.request_id)
    if not may_go_on(actor, request, handover):  # the text is not relayed: it was a note
        return await stop_stale_draft(session, services, handover)
    if not has_basis(handover):
        answer = await draft_text(session, services, handover, text)
        if handover.to_partner is not None and has_basis(handover):  # a referral's reason
            return await finish_referral(session, services, actor, handover)
        return answer
    return await send_handover(session, services, actor, handover, text[:MAX_NOTE])


async def draft_press(
    session: AsyncSession, services: Services, user_id: int, handover_id: int, step: str
) -> Answer | Popup:
    """A press of Telegram user ``user_id`` on their draft ``handover_id``'s buttons.

    ``step`` is ``to_any`` or ``to_<staff id>`` (the person; then the basis, or the note
    once there is one), ``consent``, ``safety`` or ``stop`` (the basis), or ``nonote``
    (send without a note). Returns what the pressed message becomes, or the refusal as
    a popup: not the draft's writer, a person outside the queue, no draft any more.
    """
    t, lang = services.texts, services.staff_language
    actor = await actor_for(session, user_id)
    handover = await session.get(Handover, handover_id)
    if actor is None or handover is None or handover.from_staff_id != actor.id:
        return Popup(t("not_allowed", lang))
    # A referral's draft only waits for its typed reason; "stop" is its one button.
    partner_step = handover.to_partner is not None and step != "stop"
    if handover.status != "draft" or partner_step:
        return Popup(t("handover_gone", lang))
    request = await repo.get_request(session=session, request_id=handover.request_id)
    if not may_go_on(actor, request, handover):
        return await stop_stale_draft(session, services, handover)
    if step == "nonote" and has_basis(handover):
        return await send_handover(session, services, actor, handover, None)
    if step == "nonote":  # a forged or stale press: the basis comes first
        return await ask_consent(session, services, handover, first=True)
    if step in ("consent", "safety", "stop"):
        return await consent_step(session, services, handover, step)
    target = step.removeprefix("to_")
    if target != "any":
        member = await repo.get_staff_by_id(session=session, staff_id=int(target))
        members = await repo.queue_members(session=session, queue=handover.to_queue)
        if member is None or member.id not in {m.id for m in members}:
            return Popup(t("not_allowed", lang))
    values = {"to_staff_id": None if target == "any" else int(target)}
    if not await change_draft_handover(session=session, handover=handover, values=values):
        return await stop_stale_draft(session, services, handover)
    if has_basis(handover):
        return ask_note(services, handover)
    return await ask_consent(session, services, handover)
