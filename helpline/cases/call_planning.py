"""Planning a follow-up call: ``/plan`` and the ``call:`` planning presses.

``call:new:<request>`` shows the quick picks; a pick (or typed time) makes a draft call
whose summary offers Herhalen, Wie belt, the assignee's first free slot and the
resident's reminder; ``call:ok:<call>`` schedules it. Every press re-checks, in the
transaction that acts on it, the presser's role and relation to the request; a draft
is edited only by its planner.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls import callbacks as cb
from flows.calls.recurrence import Repeat, RepeatError
from flows.calls.when import WhenError, parse_reference
from flows.conversation import Button, rows
from helpline.cases import calls as callwork
from helpline.cases.access import Actor
from helpline.cases.answers import Answer, Popup
from helpline.cases.call_drafts import (
    assignee_candidates,
    create_draft,
    draft_answer,
    planned_text,
    set_draft_time,
    set_repeat,
    suggested_slot,
)
from helpline.cases.call_times import PLAN_TIME, ask_time, picked_or_ask, read_typed, typed_error
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import CallStatus, Request, Resident, ScheduledCall

PICK_STEPS = ("new", "pick")
DRAFT_STEPS = ("rep", "end", "who", "sug", "res", "ok", "no")
FREQUENCIES = ("daily", "weekly", "biweekly")
END_CHOICES = {"n4": 4, "n8": 8, "n12": 12}
MAX_HELD_BUTTONS = 20


async def plan(session: AsyncSession, services: Services, actor: Actor, words: list[str]) -> Answer:
    """``/plan [reference] [when]`` typed by ``actor``; ``words`` are the words after it.

    Without words: ``actor``'s open requests as buttons (or the short usage). With a
    reference only: the time question with its quick picks. With a time as well: a
    draft call, shown with its buttons. Returns the reply and its buttons (none for a
    refusal or an unreadable reference or time).
    """
    t, lang = services.texts, services.staff_language
    if not words:
        held = await repo.held_requests(session=session, staff_id=actor.id)
        if not held:
            return t("plan_usage_short", lang), ()
        buttons = [
            Button(r.reference, cb.data("call", "new", r.id)) for r in held[:MAX_HELD_BUTTONS]
        ]
        return t("plan_usage", lang), rows(buttons, 2)
    reference = parse_reference(words[0])
    if reference is None:
        return t("plan_bad_reference", lang, text=words[0][:30]), ()
    request = await repo.get_request_by_reference(session=session, reference=reference)
    if request is None or not actor.may("plan_call", request):
        key = "plan_unknown_reference" if request is None else "not_allowed"
        return t(key, lang, reference=reference), ()
    if len(words) == 1:
        return ask_time(services, PLAN_TIME, request.reference, request.id or 0)
    try:
        moment, repeat = read_typed(services, words[1])
    except (WhenError, RepeatError) as exc:
        return typed_error(services, exc), ()
    draft = await create_draft(session, services, actor, request, moment, repeat)
    return await draft_answer(session, services, draft)


async def plan_press(
    session: AsyncSession, services: Services, actor: Actor, target_id: int, step: str, value: str
) -> Answer | Popup:
    """A planning press ``call:<step>:<target_id>[:<value>]`` by ``actor``.

    ``new``/``pick`` act on request ``target_id`` and need the right to plan a call for
    it; the draft steps act on call ``target_id`` and only for its planner while it is a
    draft. Returns the refusal as a popup, else the text and buttons to show.
    """
    t, lang = services.texts, services.staff_language
    if step in PICK_STEPS:
        request = await repo.get_request(session=session, request_id=target_id)
        if request is None or not actor.may("plan_call", request):
            return Popup(t("not_allowed", lang))
        return await _pick(session, services, actor, request, step, value)
    if step in DRAFT_STEPS:
        call = await repo.get_call(session=session, call_id=target_id)
        if call is None or call.created_by != actor.id:
            return Popup(t("not_allowed", lang))
        if call.status != CallStatus.draft:
            return Popup(t("call_draft_gone", lang))
        return await _draft_step(session, services, actor, call, step, value)
    return Popup(t("claim_gone", lang))


async def _pick(
    session: AsyncSession,
    services: Services,
    actor: Actor,
    request: Request,
    step: str,
    value: str,
) -> Answer:
    if step == "new":
        return ask_time(services, PLAN_TIME, request.reference, request.id or 0)
    moment = await picked_or_ask(
        session,
        services,
        actor,
        PLAN_TIME,
        reference=request.reference,
        target_id=request.id or 0,
        value=value,
    )
    if not isinstance(moment, datetime):
        return moment
    draft = await create_draft(session, services, actor, request, moment, None)
    return await draft_answer(session, services, draft)


async def _draft_step(
    session: AsyncSession,
    services: Services,
    actor: Actor,
    call: ScheduledCall,
    step: str,
    value: str,
) -> Answer:
    t, lang = services.texts, services.staff_language
    cid = call.id or 0
    if step == "rep" and value in FREQUENCIES:
        ends = [
            Button(t(f"btn_end_{e}", lang), cb.data("call", "end", cid, f"{value}_{e}"))
            for e in ("n4", "n8", "n12", "m3", "none")
        ]
        return t("call_ask_end", lang), rows(ends, 2)
    if step == "rep" and value == "once":
        await set_repeat(session, services, call, None)
    elif step == "rep":
        freqs = ("once", *FREQUENCIES)
        choices = [
            Button(t(f"btn_repeat_{f}", lang), cb.data("call", "rep", cid, f)) for f in freqs
        ]
        return t("call_ask_repeat", lang), rows(choices, 2)
    elif step == "end":
        repeat = _repeat_until(services, call, value)
        if repeat is None:
            return t("claim_gone", lang), ()
        await set_repeat(session, services, call, repeat)
    elif step == "who" and not value:
        buttons = [
            Button(
                t("btn_call_me", lang) if s.id == actor.id else s.name,
                cb.data("call", "who", cid, str(s.id)),
            )
            for s in await assignee_candidates(session, services, actor, call)
        ]
        return t("call_ask_who", lang), rows(buttons, 2)
    elif step == "who":
        candidates = await assignee_candidates(session, services, actor, call)
        chosen = next((s for s in candidates if str(s.id) == value), None)
        if chosen is None or chosen.id is None:
            return t("not_allowed", lang), ()
        call.assignee_id = chosen.id
    elif step == "sug":
        slot = await suggested_slot(session, services, call)
        if slot is not None:
            await set_draft_time(session, services, call, slot)
    elif step == "res":
        request = await repo.get_request(session=session, request_id=call.request_id)
        resident = await session.get(Resident, request.resident_id) if request else None
        call.notify_resident = (
            not call.notify_resident
            and await callwork.notice_channel(session, services, resident) is not None
        )
    elif step == "ok":
        if not await callwork.confirm_call(session, services, call, by=actor.staff):
            return t("call_draft_gone", lang), ()
        return await planned_text(session, services, call), ()
    elif step == "no":
        await repo.set_call_status(
            session=session,
            call_id=cid,
            expected=CallStatus.draft,
            status=CallStatus.cancelled,
            now=services.clock(),
        )
        await set_repeat(session, services, call, None)
        return t("call_draft_cancelled", lang), ()
    await session.flush()
    return await draft_answer(session, services, call)


def _repeat_until(services: Services, call: ScheduledCall, value: str) -> Repeat | None:
    """The repetition an ``end`` press ``<frequency>_<end>`` chose; None for unknown data."""
    freq, _, end = value.partition("_")
    if freq not in FREQUENCIES or end not in (*END_CHOICES, "m3", "none"):
        return None
    until = None
    if end == "m3":
        until = (call.due_at.astimezone(callwork.zone(services)) + timedelta(days=91)).date()
    return Repeat(
        freq="daily" if freq == "daily" else "weekly",
        interval=2 if freq == "biweekly" else 1,
        count=END_CHOICES.get(end),
        until=until,
    )
