"""The holder's case buttons: write to the resident, resolve, release, warm handover.

Callback data is ``case:<step>:<request id>`` (``case:out_doorverwezen:42``) and
``ho:accept|decline:<handover id>``. Every press re-checks the presser's role and
relation to the request in the database; a refusal reveals nothing.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery
from telegram.error import TelegramError

from flows.conversation import Button, Callback, callback, rows
from flows.phone import display_phone
from helpline.cases import audit, cards, referral
from helpline.cases.access import Actor
from helpline.cases.core import Services
from helpline.cases.dial import DialStart, dial_failed, start_dial
from helpline.cases.handover_draft import ask_handover_target
from helpline.cases.resolve import resolve_case
from helpline.cases.triage_correction import correct_triage
from helpline.handlers.turn import ButtonTurn, on_button
from helpline.phone_dial import DialError, request_call
from helpline.render import inline_markup
from helpline.safe_send import answer_query
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import AuditAction, Request

logger = logging.getLogger(__name__)

CASE_PATTERN = r"^case:[a-z_]{1,32}:\d{1,12}$"
RELEASE_REASONS = ("no_time", "wrong_queue", "other")

# Which permission each button step needs.
_STEP_ACTION = {
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


@on_button(alert=False)
async def case_button(turn: ButtonTurn, press: Callback, context: HelplineContext) -> None:
    """Handles a press on one of the holder's case buttons."""
    _, step, raw_id = press
    services, t, lang, query = turn.services, turn.t, turn.lang, turn.query
    kind, _, value = step.partition("_")
    action = _STEP_ACTION.get(kind)
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        request = await repo.get_request(session=session, request_id=int(raw_id))
        if request is None or action is None:
            await turn.popup("claim_gone")
            return
        if not actor.may(action, request):
            await turn.popup("not_holder")
            return
        if kind == "phone":
            view = await cards.case_view(session, request, full=True)
            number = display_phone(view.phone) if view.phone else t("contact_chat", lang)
            await audit.record(
                session, services, actor.id, AuditAction.view_phone, request, "via=button"
            )
            await turn.popup("phone_popup", first_name=view.first_name or "?", phone=number)
            return
        if kind == "dial":
            start = await start_dial(session, services, actor, request)
        else:
            reply = await _apply(session, services, actor, request, kind, value)
    if kind == "dial":  # after the commit: the dial is on record before the phone rings
        await _ring(query, services, start)
        return
    await answer_query(query)
    if reply is not None:
        text, buttons = reply
        await reply_to_press(query, text, buttons)
    services.dispatcher.kick(context.application)


async def _ring(query: CallbackQuery, services: Services, start: DialStart | str) -> None:
    """Asks the provider to ring; the staff member hears what happens next, or why not."""
    t, lang = services.texts, services.staff_language
    if isinstance(start, str):
        await answer_query(query, start, alert=True)
        return
    try:
        await request_call(services.settings, extension=start.extension, number=start.number)
    except DialError as exc:
        await dial_failed(services, start.dial_id)
        logger.warning("click-to-dial for %s failed: %s", start.reference, exc)
        await answer_query(query, t("dial_failed", lang), alert=True)
        return
    await answer_query(
        query,
        t(
            "dial_started",
            lang,
            extension=start.extension,
            first_name=start.first_name,
            reference=start.reference,
        ),
        alert=True,
    )


async def _apply(
    session: AsyncSession, services: Services, actor: Actor, request: Request, kind: str, value: str
) -> tuple[str, tuple[tuple[Button, ...], ...]] | None:
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
        if not await repo.release_request(session=session, request_id=rid or 0, staff_id=actor.id):
            return t("not_holder", lang), ()
        await session.refresh(request)
        view = await cards.case_view(session, request)
        note = t("card_released", lang, staff=actor.staff.name, reason=t(f"release_{value}", lang))
        await cards.post_card(session, services, request, extra=note)
        await repo.set_active_request(session=session, staff_id=actor.id, request_id=None)
        return t("released", lang, reference=view.reference), ()
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


async def reply_to_press(
    query: CallbackQuery, text: str, buttons: tuple[tuple[Button, ...], ...], edit: bool = False
) -> None:
    """Answers a case button in place: a new message, or an edit of the pressed one."""
    markup = inline_markup(buttons) if buttons else None
    try:
        if edit:
            await query.edit_message_text(text, reply_markup=markup)
        elif query.message is not None:
            await query.get_bot().send_message(query.message.chat.id, text, reply_markup=markup)
    except TelegramError:
        logger.warning("case reply failed", exc_info=True)
