"""Warm handover: the holder picks a queue, optionally a person, records the basis for sharing,
writes a note; the receiver accepts or declines. The holder keeps the request until someone
accepts.

A handover always goes to another team, so it shares the resident's details: the holder
records the resident's consent, or — only when someone's safety is at stake — a safety
override with a typed reason (``handover_consent``). Without either, nothing is sent.

Steps: ``case:ho_<queue>:<request>`` (from the case buttons) → ``hd:to_<staff|any>:<handover>``
→ ``hd:consent|safety|stop:<handover>`` (safety: a typed reason) → a typed note or
``hd:nonote:<handover>`` → ``ho:accept|decline:<handover>``.

Each step re-checks, at the moment of the press or the typed text, that the holder may
hand over and still holds the request (``may_go_on``); a draft its writer no longer
holds is cancelled. Sending and deciding are conditional updates on that same state, so
a handover never outlives its holder's claim: once the request is released, closed,
erased or claimed by someone else, the handover cannot be sent or accepted.
"""

from __future__ import annotations

import logging

from flows.conversation import Callback
from helpline.cases import audit
from helpline.cases.access import actor_for
from helpline.cases.handover import send_handover, tell_about_handover
from helpline.cases.handover_consent import (
    Answer,
    ask_consent,
    ask_note,
    consent_step,
    has_basis,
    may_go_on,
    stop_stale_draft,
)
from helpline.handlers.turn import ButtonTurn, on_button
from helpline.render import inline_markup
from helpline.safe_send import answer_query, edit_pressed
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import AuditAction, Handover
from storage.repository.casework import change_draft_handover

logger = logging.getLogger(__name__)

HANDOVER_PATTERN = r"^ho:(accept|decline):\d{1,12}$"
TARGET_PATTERN = r"^hd:(to_any|to_\d{1,12}|nonote|consent|safety|stop):\d{1,12}$"


@on_button()
async def target_button(turn: ButtonTurn, press: Callback, context: HelplineContext) -> None:
    """Stores the chosen person and asks for the basis; the basis, then a note; or sends."""
    _, step, raw_id = press
    services, query = turn.services, turn.query
    async with services.db.session() as session:
        actor = await actor_for(session, turn.user.id)
        handover = await session.get(Handover, int(raw_id))
        if actor is None or handover is None or handover.from_staff_id != actor.id:
            await turn.popup("not_allowed")
            return
        # A referral's draft only waits for its typed reason; "stop" is its one button.
        partner_step = handover.to_partner is not None and step != "stop"
        if handover.status != "draft" or partner_step:
            await turn.popup("handover_gone")
            return
        request = await repo.get_request(session=session, request_id=handover.request_id)
        answer: Answer
        if not may_go_on(actor, request, handover):
            answer = await stop_stale_draft(session, services, handover)
        elif step == "nonote" and has_basis(handover):
            answer = await send_handover(session, services, actor, handover, None)
        elif step == "nonote":  # a forged or stale press: the basis comes first
            answer = await ask_consent(session, services, handover, first=True)
        elif step in ("consent", "safety", "stop"):
            answer = await consent_step(session, services, handover, step)
        else:
            target = step.removeprefix("to_")
            if target != "any":
                member = await repo.get_staff_by_id(session=session, staff_id=int(target))
                members = await repo.queue_members(session=session, queue=handover.to_queue)
                if member is None or member.id not in {m.id for m in members}:
                    await turn.popup("not_allowed")
                    return
            values = {"to_staff_id": None if target == "any" else int(target)}
            if not await change_draft_handover(session=session, handover=handover, values=values):
                answer = await stop_stale_draft(session, services, handover)
            elif has_basis(handover):
                answer = ask_note(services, handover)
            else:
                answer = await ask_consent(session, services, handover)
    await answer_query(query)
    text, buttons = answer
    await edit_pressed(query, text, inline_markup(buttons) if buttons else None)
    services.dispatcher.kick(context.application)


@on_button()
async def handover_button(turn: ButtonTurn, press: Callback, context: HelplineContext) -> None:
    """Accept or decline a warm handover; the first decision wins."""
    services, t, lang, query = turn.services, turn.t, turn.lang, turn.query
    accept, handover_id = press.action == "accept", int(press.value)
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        handover = await session.get(Handover, handover_id)
        request = (
            await repo.get_request(session=session, request_id=handover.request_id)
            if handover
            else None
        )
        if handover is None or request is None or handover.status != "pending":
            await turn.popup("handover_gone")
            return
        if not actor.may("accept_handover", request, handover):
            await turn.popup("claim_not_your_queue")
            return
        decided = await repo.decide_handover(
            session=session,
            handover_id=handover_id,
            staff_id=actor.id,
            accept=accept,
            now=services.clock(),
        )
        if decided is not None:
            await audit.record(
                session,
                services,
                actor.id,
                AuditAction.handover_decided,
                request,
                f"handover={handover_id} decision={decided.status}",
            )
            await tell_about_handover(session, services, actor, request, decided)
        else:
            await session.refresh(handover)
    text = (query.message.text if query.message and hasattr(query.message, "text") else "") or ""
    if decided is None and handover.status != "cancelled":
        await turn.popup("handover_gone")
        return
    if decided is None:
        # Voided just now: the request was released, closed or claimed by someone else
        # since it was handed over. The card loses its buttons.
        await turn.popup("handover_stale")
        await edit_pressed(query, text + "\n\n" + t("handover_stale", lang))
        return
    await answer_query(query)
    key = "handover_done_card" if accept else "handover_declined_card"
    await edit_pressed(query, text + t(key, lang, staff=actor.staff.name))
    services.dispatcher.kick(context.application)
