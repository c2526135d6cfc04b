"""The reminder's buttons — Gebeld, Niet bereikt, Verzetten, Nummer tonen — and the
resident's answers to their notice — Past niet, Geen herinneringen meer.

Outcome presses are allowed to the call's assignee (and coordinators); the resident's
presses only to the resident of the call. A stale or double press changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from flows.calls import callbacks as cb
from flows.conversation import Button, markup_json
from flows.phone import display_phone
from helpline.cases import audit
from helpline.cases import calls as callwork
from helpline.cases.access import Actor
from helpline.cases.call_drafts import Answer
from helpline.cases.call_times import MOVE_TIME, ask_time, picked_or_ask
from helpline.cases.calls import may_work
from helpline.cases.circle import OUTCOMES, record_outcome
from helpline.cases.core import Services
from helpline.handlers.casework import reply_to_press
from helpline.handlers.turn import ButtonTurn
from helpline.safe_send import answer_query
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import AuditAction, CallStatus, Resident, ScheduledCall

OUTCOME_STEPS = ("done", "miss", "mv", "mvp", "tel")


async def outcome_press(turn: ButtonTurn, context: HelplineContext, press: cb.CallData) -> None:
    """Gebeld / Niet bereikt / Verzetten / Nummer tonen on a reminder."""
    services, t, lang, query = turn.services, turn.t, turn.lang, turn.query
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        call = await repo.get_call(session=session, call_id=press.id)
        if call is None or not may_work(actor, call):
            await turn.popup("call_not_yours")
            return
        if call.status != CallStatus.scheduled:
            await turn.popup("call_already_done")
            return
        request = await repo.get_request(session=session, request_id=call.request_id)
        if request is None:
            await turn.popup("claim_gone")
            return
        if press.step == "tel":
            resident = await session.get(Resident, request.resident_id or 0)
            number = display_phone(resident.phone) if resident and resident.phone else None
            # A resident's number shown to staff.
            await audit.record(
                session,
                services,
                actor.id,
                AuditAction.view_phone,
                request,
                f"via=call call={call.id}",
            )
            await turn.popup(
                "phone_popup",
                first_name=(resident.first_name if resident else None) or "?",
                phone=number or t("call_no_phone", lang),
            )
            return
        if press.step in OUTCOMES:
            text = await record_outcome(
                session,
                services,
                call=call,
                request=request,
                actor=actor.staff,
                status=OUTCOMES[press.step],
            )
            again: tuple[tuple[Button, ...], ...] = ()
            if text and press.step == "miss" and call.series_id is None:
                # A one-off call not answered: offer to plan the next try right away.
                again = ((Button(t("btn_plan_call", lang), cb.data("call", "new", request.id)),),)
            answer: Answer = (text or t("call_already_done", lang), again)
        else:
            answer = await _move(session, services, actor, call, press.step, press.value)
    await answer_query(query)
    await reply_to_press(query, answer[0], answer[1], edit=True)
    services.dispatcher.kick(context.application)


async def _move(
    session: AsyncSession,
    services: Services,
    actor: Actor,
    call: ScheduledCall,
    step: str,
    value: str,
) -> Answer:
    t, lang = services.texts, services.staff_language
    request = await repo.get_request(session=session, request_id=call.request_id)
    reference = request.reference if request else "?"
    if step == "mv":
        return ask_time(services, MOVE_TIME, reference, call.id or 0)
    moment = await picked_or_ask(
        session,
        services,
        actor,
        MOVE_TIME,
        reference=reference,
        target_id=call.id or 0,
        value=value,
    )
    if not isinstance(moment, datetime):
        return moment
    if not await callwork.reschedule(session, services, call, moment):
        return t("call_already_done", lang), ()
    return t("call_moved", lang, reference=reference, when=callwork.when(services, moment)), ()


async def resident_call_button(update: Update, context: HelplineContext) -> None:
    """The resident answers a call notice: "Past niet" tells the assignee; or no more notices."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    services = context.services
    press = cb.parse(query.data)
    async with services.db.session() as session:
        resident = await repo.get_resident_by_telegram_id(session=session, telegram_user_id=user.id)
        lang = resident.language if resident else services.settings.default_language
        t = services.texts
        call = await repo.get_call(session=session, call_id=press.id) if press else None
        request = (
            await repo.get_request(session=session, request_id=call.request_id) if call else None
        )
        if (
            press is None
            or resident is None
            or call is None
            or request is None
            or request.resident_id != resident.id
        ):
            await answer_query(query, t("call_resident_gone", lang), alert=True)
            return
        if press.step == "stop":
            await repo.set_call_reminders(
                session=session, resident_id=resident.id or 0, wanted=False
            )
            reply = t("call_resident_stop_thanks", lang)
        elif call.status != CallStatus.scheduled or call.due_at <= services.clock():
            await answer_query(query, t("call_resident_gone", lang), alert=True)
            return
        else:
            reply = t("call_resident_nofit_thanks", lang)
            if call.resident_declined_at is None:
                call.resident_declined_at = services.clock()
                await _tell_assignee(session, services, call, resident, request.reference)
    await answer_query(query)
    await reply_to_press(query, reply, (), edit=True)
    services.dispatcher.kick(context.application)


async def _tell_assignee(
    session: AsyncSession,
    services: Services,
    call: ScheduledCall,
    resident: Resident,
    reference: str,
) -> None:
    assignee = await repo.get_staff_by_id(session=session, staff_id=call.assignee_id)
    if assignee is None:
        return
    t, lang = services.texts, services.staff_language
    move = ((Button(t("btn_call_move", lang), cb.data("call", "mv", call.id)),),)
    await repo.enqueue(
        session=session,
        now=services.clock(),
        chat_id=assignee.telegram_user_id,
        purpose="call_nofit",
        request_id=call.request_id,
        reply_markup=markup_json(move),
        text=t(
            "call_nofit_to_assignee",
            lang,
            first_name=resident.first_name or "?",
            reference=reference,
            when=callwork.when(services, call.due_at),
        ),
    )
