"""What a call's outcome sets in motion: the contact log, and the telefooncirkel rule.

Gebeld / Niet bereikt become a contact (phone, outbound, ``call``), or set the outcome
of the contact a 📞 Bel nu call logged already. On a recurring
check-in, a miss is retried after the configured interval; after N misses in a row
the resident's contact person (if they have Telegram) and the coordinators hear,
with the history, and a coordinator closes the alert with what was done.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls import callbacks as cb
from flows.calls.notices import HistoryLine, alert_text
from flows.calls.recurrence import next_occurrence
from flows.calls.schedule import after_miss
from flows.conversation import Button, markup_json, rows
from helpline.cases.access import Actor
from helpline.cases.calls import call_config, plan_next_occurrence, plan_reminders, when, zone
from helpline.cases.contacts import count_contact
from helpline.cases.core import Services
from helpline.cases.queue_groups import queue_chat
from storage import repository as repo
from storage.models import (
    CallSeries,
    CallStatus,
    Channel,
    Direction,
    Request,
    Resident,
    ScheduledCall,
    Staff,
)
from storage.repository import dials

OUTCOMES = {"done": CallStatus.reached, "miss": CallStatus.no_answer}
CONTACT_OUTCOME = {CallStatus.reached: "reached", CallStatus.no_answer: "no_answer"}
# A Bel nu this long before the planned time (or before the press) was this call.
DIALLED_BEFORE = timedelta(hours=2)
MAX_NOTE = 1000  # characters of a closing note kept on the request


async def record_outcome(
    session: AsyncSession,
    services: Services,
    *,
    call: ScheduledCall,
    request: Request,
    actor: Staff,
    status: CallStatus,
) -> str | None:
    """Stores Gebeld / Niet bereikt once and applies the telefooncirkel rule.

    Returns the confirmation for the presser, or None when the call was already settled.
    """
    assert call.id is not None
    t, lang = services.texts, services.staff_language
    now = services.clock()
    if not await repo.set_call_status(
        session=session,
        call_id=call.id,
        expected=CallStatus.scheduled,
        status=status,
        now=now,
        staff_id=actor.id,
    ):
        return None
    await repo.cancel_reminders(session=session, call_id=call.id, now=now)
    # Made with 📞 Bel nu, the call logged its contact already: the staff's word on the
    # outcome is kept on that one, not on a second.
    dialled = await dials.dialled_contact(
        session=session,
        request_id=request.id or 0,
        staff_id=actor.id or 0,
        since=min(call.due_at, now) - DIALLED_BEFORE,
    )
    if dialled is not None:
        dialled.outcome = CONTACT_OUTCOME[status]
    else:
        await count_contact(
            session,
            request,
            now,
            Channel.phone,
            Direction.outbound,
            "call",
            actor.id,
            outcome=CONTACT_OUTCOME[status],
            kind="follow_up",
        )
    resident = await session.get(Resident, request.resident_id) if request.resident_id else None
    name = (resident.first_name if resident else None) or t("unknown", lang)
    key = "call_saved_reached" if status == CallStatus.reached else "call_saved_missed"
    text = t(key, lang, first_name=name, reference=request.reference)
    series = await repo.get_series(session=session, series_id=call.series_id)
    if series is None:
        return text
    following = await plan_next_occurrence(session, services, call)
    if status == CallStatus.reached:
        series.misses = 0
    else:
        text += await _after_miss(session, services, call, series, request, resident)
    if following is not None:
        text += t("call_next_planned", lang, when=when(services, following.due_at))
    await session.flush()
    return text


async def _after_miss(
    session: AsyncSession,
    services: Services,
    call: ScheduledCall,
    series: CallSeries,
    request: Request,
    resident: Resident | None,
) -> str:
    t, lang, now = services.texts, services.staff_language, services.clock()
    base = call.occurrence_at or call.due_at
    regular = next_occurrence(series.rule, series.dtstart_local, ZoneInfo(series.zone), after=base)
    decision = after_miss(
        misses=series.misses, now=now, config=call_config(services), next_regular=regular
    )
    series.misses = decision.misses
    if decision.alert:
        await raise_alert(session, services, call, series, request, resident)
        return t("call_circle_raised", lang)
    if decision.retry_at is None:
        return ""
    retry = await repo.create_call(
        session=session,
        request_id=call.request_id,
        series_id=series.id,
        assignee_id=call.assignee_id,
        created_by=call.created_by,
        due_at=decision.retry_at,
        occurrence_at=base,
        attempt=call.attempt + 1,
        status=CallStatus.scheduled,
        notify_resident=False,  # a retry within the hour needs no notice
        created_at=now,
    )
    await plan_reminders(session, services, retry, resident)
    return t("call_retry_planned", lang, when=when(services, decision.retry_at))


async def raise_alert(
    session: AsyncSession,
    services: Services,
    call: ScheduledCall,
    series: CallSeries,
    request: Request,
    resident: Resident | None,
) -> None:
    """Opens the alert: the contact person (if on Telegram) and the coordinators hear."""
    t, lang, now = services.texts, services.staff_language, services.clock()
    limit = call_config(services).miss_limit
    alert = await repo.create_alert(
        session=session,
        call_id=call.id or 0,
        series_id=series.id,
        request_id=request.id or 0,
        created_at=now,
    )
    first_name = resident.first_name if resident else None
    contact = resident.contact_person_name if resident else None
    told = None
    if resident is not None and resident.contact_person_chat_id:
        told = contact or "?"
        await repo.enqueue(
            session=session,
            now=now,
            chat_id=resident.contact_person_chat_id,
            purpose="circle_contact",
            request_id=request.id,
            text=t(
                "circle_contact_message",
                resident.language,
                first_name=first_name or "?",
                misses=limit,
            ),
        )
    history = [
        HistoryLine(c.due_at, str(c.status), s.name)
        for c, s in await repo.series_history(session=session, series_id=series.id or 0)
    ]
    chat = queue_chat(services, services.config.crisis_queue)
    if chat is None:
        return
    actions = [
        Button(t(f"circle_action_{a}", lang), cb.data("cal", "do", alert.id, a))
        for a in call_config(services).alert_actions
    ]
    await repo.enqueue(
        session=session,
        now=now,
        chat_id=chat,
        purpose="circle_alert",
        request_id=request.id,
        reply_markup=markup_json(rows(actions, 1)),
        text=alert_text(
            t,
            lang,
            reference=request.reference,
            first_name=first_name,
            misses=limit,
            history=history,
            contact_person=told,
            zone=zone(services),
        ),
    )


async def close_alert(
    session: AsyncSession, services: Services, actor: Actor, alert_id: int, note: str | None
) -> str:
    """Closes the alert once, keeps the note on the request, tells the coordinators."""
    t, lang = services.texts, services.staff_language
    alert = await repo.get_alert(session=session, alert_id=alert_id)
    if alert is None or alert.action is None:
        return t("circle_already_closed", lang)
    action = alert.action
    if not await repo.close_alert(
        session=session, alert_id=alert_id, action=action, staff_id=actor.id, now=services.clock()
    ):
        return t("circle_already_closed", lang)
    await repo.clear_prompt(session=session, staff_id=actor.id)
    request = await repo.get_request(session=session, request_id=alert.request_id)
    label = t(f"circle_action_{action}", lang)
    if note:
        await repo.add_note(
            session=session,
            request_id=alert.request_id,
            author="staff",
            text=f"{label}: {note[:MAX_NOTE]}",
            staff_id=actor.id,
        )
    text = t(
        "circle_closed",
        lang,
        reference=request.reference if request else "?",
        staff=actor.staff.name,
        action=label,
    )
    chat = queue_chat(services, services.config.crisis_queue)
    if chat is not None:
        await repo.enqueue(
            session=session,
            now=services.clock(),
            chat_id=chat,
            purpose="circle_closed",
            request_id=alert.request_id,
            text=text,
        )
    return text
