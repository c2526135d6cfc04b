"""Draft calls: made by a quick pick or a typed time, shown with their summary and buttons.

A draft is a ``scheduled_call`` row with status ``draft`` (and, when it repeats, a
``call_series`` in status ``draft``): the plan survives a restart, and the reminder
hook never sees it until ``call:ok`` confirms it.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls import callbacks as cb
from flows.calls.availability import Window, first_free_slot, is_available
from flows.calls.notices import repeat_words
from flows.calls.recurrence import Repeat, local_start
from flows.calls.when import QUICK_PICKS, quick_pick
from flows.conversation import Button, rows
from helpline.cases import calls as callwork
from helpline.cases.access import Actor
from helpline.cases.answers import Answer, Buttons
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import CallStatus, Request, Resident, ScheduledCall, Staff

MAX_CANDIDATES = 12


def pick_buttons(services: Services, ns_step: str, target: int) -> Buttons:
    """The quick picks (later today, tomorrow morning/afternoon, in a week, pick yourself)."""
    t, lang, now = services.texts, services.staff_language, services.clock()
    config, zone = callwork.call_config(services), callwork.zone(services)
    buttons = []
    for key in QUICK_PICKS:
        moment = quick_pick(key, now=now, zone=zone, config=config)
        if moment is not None:
            label = t(f"call_pick_{key}", lang, time=callwork.when(services, moment))
            buttons.append(Button(label, cb.data("call", ns_step, target, key)))
    buttons.append(Button(t("call_pick_custom", lang), cb.data("call", ns_step, target, "pick")))
    return rows(buttons, 1)


async def picked_moment(
    session: AsyncSession,
    services: Services,
    actor: Actor,
    *,
    value: str,
    prompt_kind: str,
    target_id: int,
) -> datetime | Answer | None:
    """The time of a pressed quick pick; or, for "zelf kiezen", the prompt to type one.

    Returns None when the pick no longer applies (e.g. "later today" in the evening),
    so the caller shows the picks again.
    """
    if value == "pick":
        await repo.set_prompt(
            session=session,
            staff_id=actor.id,
            kind=prompt_kind,
            target_id=target_id,
            now=services.clock(),
        )
        return services.texts("call_ask_typed", services.staff_language), ()
    return quick_pick(
        value,
        now=services.clock(),
        zone=callwork.zone(services),
        config=callwork.call_config(services),
    )


async def create_draft(
    session: AsyncSession,
    services: Services,
    actor: Actor,
    request: Request,
    due_at: datetime,
    repeat: Repeat | None,
) -> ScheduledCall:
    """A draft call by ``actor`` (the default assignee) for ``request`` at ``due_at``."""
    resident = await session.get(Resident, request.resident_id) if request.resident_id else None
    call = await repo.create_call(
        session=session,
        request_id=request.id,
        assignee_id=actor.id,
        created_by=actor.id,
        due_at=due_at,
        status=CallStatus.draft,
        notify_resident=bool(resident and resident.call_reminders)
        and await callwork.notice_channel(session, services, resident) is not None,
        created_at=services.clock(),
    )
    if repeat is not None:
        await set_repeat(session, services, call, repeat)
    return call


async def set_repeat(
    session: AsyncSession, services: Services, call: ScheduledCall, repeat: Repeat | None
) -> None:
    """Makes the draft a one-off call (None) or a series with this repetition."""
    series = await repo.get_series(session=session, series_id=call.series_id)
    if repeat is None:
        if series is not None:
            series.status = "cancelled"
        call.series_id = None
        call.occurrence_at = None
        await session.flush()
        return
    zone = callwork.zone(services)
    rule = repeat.rule(call.due_at.astimezone(zone).weekday())
    if series is None:
        series = await repo.create_series(
            session=session,
            request_id=call.request_id,
            assignee_id=call.assignee_id,
            rule=rule,
            dtstart_local=local_start(call.due_at, zone),
            zone=services.settings.time_zone,
            created_by=call.created_by,
            created_at=services.clock(),
        )
    series.rule, series.status = rule, "draft"
    series.dtstart_local = local_start(call.due_at, zone)
    call.series_id, call.occurrence_at = series.id, call.due_at
    await session.flush()


async def set_draft_time(
    session: AsyncSession, services: Services, call: ScheduledCall, due_at: datetime
) -> None:
    """Gives the draft a new time (its series then starts, and repeats on that weekday)."""
    call.due_at = due_at
    series = await repo.get_series(session=session, series_id=call.series_id)
    if series is not None:
        await set_repeat(session, services, call, Repeat.from_rule(series.rule))
    await session.flush()


async def _windows(session: AsyncSession, staff_id: int) -> list[Window]:
    rows = await repo.get_availability(session=session, staff_id=staff_id)
    return [Window(r.weekday, r.start_minute, r.end_minute) for r in rows]


async def suggested_slot(
    session: AsyncSession, services: Services, call: ScheduledCall
) -> datetime | None:
    """The assignee's first free slot on or after the picked day (None without availability)."""
    windows = await _windows(session, call.assignee_id)
    zone, now = callwork.zone(services), services.clock()
    day_start = datetime.combine(call.due_at.astimezone(zone).date(), time(0), tzinfo=zone)
    start = max(now, day_start)
    busy = await repo.busy_times(
        session=session,
        staff_id=call.assignee_id,
        start=start,
        end=start + callwork.SLOT_HORIZON,
    )
    return first_free_slot(windows, busy=busy, start=start, zone=zone)


async def assignee_candidates(
    session: AsyncSession, services: Services, actor: Actor, call: ScheduledCall
) -> list[Staff]:
    """Who may be asked to make the call: me, the request's queue, the belmaatje queues."""
    request = await repo.get_request(session=session, request_id=call.request_id)
    queues = [request.queue] if request else []
    queues += list(callwork.call_config(services).assignee_queues)
    result, seen = [actor.staff], {actor.id}
    for queue in queues:
        for member in await repo.queue_members(session=session, queue=queue):
            if member.id not in seen and member.active:
                result.append(member)
                seen.add(member.id or 0)
    return result[:MAX_CANDIDATES]


async def draft_answer(session: AsyncSession, services: Services, call: ScheduledCall) -> Answer:
    """The draft's summary with its buttons, and a warning outside the assignee's hours."""
    t, lang = services.texts, services.staff_language
    request = await repo.get_request(session=session, request_id=call.request_id)
    assignee = await repo.get_staff_by_id(session=session, staff_id=call.assignee_id)
    if request is None or assignee is None or call.id is None:
        return t("call_draft_gone", lang), ()
    resident = await session.get(Resident, request.resident_id) if request.resident_id else None
    series = await repo.get_series(session=session, series_id=call.series_id)
    zone = callwork.zone(services)
    reachable = await callwork.notice_channel(session, services, resident) is not None
    resident_key = (
        "call_resident_na"
        if not reachable
        else ("call_resident_yes" if call.notify_resident else "call_resident_no")
    )
    text = t(
        "call_draft",
        lang,
        reference=request.reference,
        first_name=(resident.first_name if resident else None) or t("unknown", lang),
        when=callwork.when(services, call.due_at),
        assignee=assignee.name,
        repeat=repeat_words(t, lang, series.rule if series else None, call.due_at, zone),
        resident=t(resident_key, lang),
    )
    cid = call.id
    buttons: list[tuple[Button, ...]] = [
        (Button(t("btn_call_confirm", lang), cb.data("call", "ok", cid)),),
        (
            Button(t("btn_call_repeat", lang), cb.data("call", "rep", cid)),
            Button(t("btn_call_who", lang), cb.data("call", "who", cid)),
        ),
    ]
    windows = await _windows(session, call.assignee_id)
    if windows and not is_available(windows, call.due_at, zone):
        slot = await suggested_slot(session, services, call)
        if slot is None:
            text += "\n\n" + t("call_no_free_slot", lang, assignee=assignee.name)
        else:
            words = callwork.when(services, slot)
            text += "\n\n" + t(
                "call_outside_availability", lang, assignee=assignee.name, slot=words
            )
            label = t("btn_call_suggest", lang, slot=words)
            buttons.append((Button(label, cb.data("call", "sug", cid)),))
    if reachable:
        key = "btn_call_resident_off" if call.notify_resident else "btn_call_resident_on"
        buttons.append((Button(t(key, lang), cb.data("call", "res", cid)),))
    buttons.append((Button(t("btn_call_cancel", lang), cb.data("call", "no", cid)),))
    return text, tuple(buttons)


async def planned_text(session: AsyncSession, services: Services, call: ScheduledCall) -> str:
    """The confirmation after ``call:ok``."""
    t, lang = services.texts, services.staff_language
    request = await repo.get_request(session=session, request_id=call.request_id)
    assignee = await repo.get_staff_by_id(session=session, staff_id=call.assignee_id)
    series = await repo.get_series(session=session, series_id=call.series_id)
    return t(
        "call_planned",
        lang,
        reference=request.reference if request else "?",
        when=callwork.when(services, call.due_at),
        assignee=assignee.name if assignee else "?",
        repeat=repeat_words(
            t, lang, series.rule if series else None, call.due_at, callwork.zone(services)
        ),
    )
