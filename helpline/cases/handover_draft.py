"""A draft handover's first step and the text its writer types next.

The holder picks a queue on the case card: ``ask_handover_target`` starts the draft and
asks for a person; a typed text is then the draft's safety reason or its note
(``note_for_draft``), re-checked against the holder's claim when it arrives.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.conversation import Button, callback, rows
from helpline.cases.access import Actor
from helpline.cases.core import Services
from helpline.cases.handover import MAX_NOTE, send_handover
from helpline.cases.handover_consent import (
    Answer,
    draft_text,
    has_basis,
    may_go_on,
    new_draft,
    stop_stale_draft,
)
from helpline.cases.referral import finish_referral
from storage import repository as repo
from storage.models import Request, RequestStatus


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
