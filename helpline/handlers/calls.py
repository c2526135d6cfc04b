"""Planning a follow-up call from the case chat: quick picks, a typed time or ``/plan``.

``call:new:<request>`` shows the quick picks; a pick (or typed time) makes a draft call
whose summary offers Herhalen, Wie belt, the assignee's first free slot and the
resident's reminder; ``call:ok:<call>`` schedules it. Every press re-checks the
presser's role and relation to the request; a draft is edited only by its planner.
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
from helpline.cases.call_drafts import (
    Answer,
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
from helpline.cases.reminder_presses import OUTCOME_STEPS
from helpline.handlers.call_outcome import outcome_press
from helpline.handlers.casework import reply_to_press
from helpline.handlers.turn import ButtonTurn, CommandTurn, on_command, on_query
from helpline.render import inline_markup
from helpline.safe_send import answer_query
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import CallStatus, Request, Resident, ScheduledCall

PLAN_COMMANDS = ["plan"]
DRAFT_STEPS = ("rep", "end", "who", "sug", "res", "ok", "no")
END_CHOICES = {"n4": 4, "n8": 8, "n12": 12}


@on_command
async def plan_command(turn: CommandTurn, context: HelplineContext) -> None:
    """``/plan [reference] [when]``: picks a request, then a time, then shows the draft."""
    services, t, lang, message = turn.services, turn.t, turn.lang, turn.message
    words = (message.text or "").split(maxsplit=2)[1:]
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        if not words:
            held = await repo.held_requests(session=session, staff_id=actor.id)
            if not held:
                await turn.reply("plan_usage_short")
                return
            buttons = [Button(r.reference, cb.data("call", "new", r.id)) for r in held[:20]]
            await message.reply_text(
                t("plan_usage", lang), reply_markup=inline_markup(rows(buttons, 2))
            )
            return
        reference = parse_reference(words[0])
        if reference is None:
            await turn.reply("plan_bad_reference", text=words[0][:30])
            return
        request = await repo.get_request_by_reference(session=session, reference=reference)
        if request is None or not actor.may("plan_call", request):
            key = "plan_unknown_reference" if request is None else "not_allowed"
            await message.reply_text(t(key, lang, reference=reference))
            return
        if len(words) == 1:
            text, picks = ask_time(services, PLAN_TIME, request.reference, request.id or 0)
            await message.reply_text(text, reply_markup=inline_markup(picks))
            return
        try:
            moment, repeat = read_typed(services, words[1])
        except (WhenError, RepeatError) as exc:
            await message.reply_text(typed_error(services, exc))
            return
        draft = await create_draft(session, services, actor, request, moment, repeat)
        text, layout = await draft_answer(session, services, draft)
    await message.reply_text(text, reply_markup=inline_markup(layout) if layout else None)


@on_query
async def call_button(turn: ButtonTurn, context: HelplineContext) -> None:
    """Handles every ``call:`` press: planning steps here, outcomes in ``call_outcome``."""
    services, query = turn.services, turn.query
    press = cb.parse(query.data)
    if press is None or press.namespace != "call":
        await turn.popup("claim_gone")
        return
    if press.step in OUTCOME_STEPS:
        await outcome_press(turn, context, press)
        return
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        if press.step in ("new", "pick"):
            request = await repo.get_request(session=session, request_id=press.id)
            if request is None or not actor.may("plan_call", request):
                await turn.popup("not_allowed")
                return
            answer = await _pick(session, services, actor, request, press.step, press.value)
        elif press.step in DRAFT_STEPS:
            call = await repo.get_call(session=session, call_id=press.id)
            if call is None or call.created_by != actor.id:
                await turn.popup("not_allowed")
                return
            if call.status != CallStatus.draft:
                await turn.popup("call_draft_gone")
                return
            answer = await _draft_step(session, services, actor, call, press.step, press.value)
        else:
            await turn.popup("claim_gone")
            return
    await answer_query(query)
    text, buttons = answer
    await reply_to_press(query, text, buttons, edit=press.step not in ("new",))
    services.dispatcher.kick(context.application)


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
    if step == "rep" and value in ("daily", "weekly", "biweekly"):
        ends = [
            Button(t(f"btn_end_{e}", lang), cb.data("call", "end", cid, f"{value}_{e}"))
            for e in ("n4", "n8", "n12", "m3", "none")
        ]
        return t("call_ask_end", lang), rows(ends, 2)
    if step == "rep" and value == "once":
        await set_repeat(session, services, call, None)
    elif step == "rep":
        freqs = ("once", "daily", "weekly", "biweekly")
        choices = [
            Button(t(f"btn_repeat_{f}", lang), cb.data("call", "rep", cid, f)) for f in freqs
        ]
        return t("call_ask_repeat", lang), rows(choices, 2)
    elif step == "end":
        freq, _, end = value.partition("_")
        if freq not in ("daily", "weekly", "biweekly") or end not in (*END_CHOICES, "m3", "none"):
            return t("claim_gone", lang), ()
        until = None
        if end == "m3":
            until = (call.due_at.astimezone(callwork.zone(services)) + timedelta(days=91)).date()
        repeat = Repeat(
            freq="daily" if freq == "daily" else "weekly",
            interval=2 if freq == "biweekly" else 1,
            count=END_CHOICES.get(end),
            until=until,
        )
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
