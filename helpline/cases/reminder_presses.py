"""The presses on a call reminder — Gebeld, Niet bereikt, Verzetten, Nummer tonen — and
the resident's answers to their notice — Past niet, Geen herinneringen meer.

Outcome presses are allowed to the call's assignee (and coordinators), checked here in
the transaction that records them; the resident's presses only to the resident of the
call. A stale or double press changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls import callbacks as cb
from flows.conversation import Button, markup_json
from flows.phone import display_phone
from helpline.cases import audit
from helpline.cases import calls as callwork
from helpline.cases.access import Actor
from helpline.cases.answers import Answer, Buttons, Popup
from helpline.cases.call_times import MOVE_TIME, ask_time, picked_or_ask
from helpline.cases.calls import may_work
from helpline.cases.circle import OUTCOMES, record_outcome
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import AuditAction, CallStatus, Resident, ScheduledCall

OUTCOME_STEPS = ("done", "miss", "mv", "mvp", "tel")


async def outcome_press(
    session: AsyncSession, services: Services, actor: Actor, call_id: int, step: str, value: str
) -> Answer | Popup:
    """Records the outcome ``step`` (one of ``OUTCOME_STEPS``) of call ``call_id`` by ``actor``.

    Returns the refusal as a popup (not the assignee, the call done or gone), the
    resident's number as a popup for "Nummer tonen" (audited), else the text and buttons
    the reminder is edited to.
    """
    t, lang = services.texts, services.staff_language
    call = await repo.get_call(session=session, call_id=call_id)
    if call is None or not may_work(actor, call):
        return Popup(t("call_not_yours", lang))
    if call.status != CallStatus.scheduled:
        return Popup(t("call_already_done", lang))
    request = await repo.get_request(session=session, request_id=call.request_id)
    if request is None:
        return Popup(t("claim_gone", lang))
    if step == "tel":
        resident = await session.get(Resident, request.resident_id or 0)
        number = display_phone(resident.phone) if resident and resident.phone else None
        # A resident's number shown to staff.
        await audit.record(
            session, services, actor.id, AuditAction.view_phone, request, f"via=call call={call.id}"
        )
        return Popup(
            t(
                "phone_popup",
                lang,
                first_name=(resident.first_name if resident else None) or "?",
                phone=number or t("call_no_phone", lang),
            )
        )
    if step in OUTCOMES:
        text = await record_outcome(
            session, services, call=call, request=request, actor=actor.staff, status=OUTCOMES[step]
        )
        again: Buttons = ()
        if text and step == "miss" and call.series_id is None:
            # A one-off call not answered: offer to plan the next try right away.
            again = ((Button(t("btn_plan_call", lang), cb.data("call", "new", request.id)),),)
        return text or t("call_already_done", lang), again
    return await _move(session, services, actor, call, step, value)


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


async def resident_press(
    session: AsyncSession, services: Services, user_id: int, call_id: int | None, step: str
) -> str | Popup:
    """The resident with Telegram account ``user_id`` answers the notice of call ``call_id``.

    "stop" turns their call notices off; otherwise ("Past niet") the assignee is told
    once, through the outbox, while the call is still ahead. Returns the thanks the
    notice is edited to, or a popup (in the resident's language) when the call is not
    theirs (``call_id`` None: unreadable data), no longer planned or already past.
    """
    resident = await repo.get_resident_by_telegram_id(session=session, telegram_user_id=user_id)
    lang = resident.language if resident else services.settings.default_language
    t = services.texts
    call = await repo.get_call(session=session, call_id=call_id) if call_id is not None else None
    request = await repo.get_request(session=session, request_id=call.request_id) if call else None
    if resident is None or call is None or request is None or request.resident_id != resident.id:
        return Popup(t("call_resident_gone", lang))
    if step == "stop":
        await repo.set_call_reminders(session=session, resident_id=resident.id or 0, wanted=False)
        return t("call_resident_stop_thanks", lang)
    if call.status != CallStatus.scheduled or call.due_at <= services.clock():
        return Popup(t("call_resident_gone", lang))
    declined = await repo.note_resident_declined(
        session=session, call_id=call.id or 0, now=services.clock()
    )
    if declined:
        await _tell_assignee(session, services, call, resident, request.reference)
    return t("call_resident_nofit_thanks", lang)


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
