"""Typed answers to a call prompt: a date/time after "zelf kiezen", or a closing note.

A press that asks for text stores a ``staff_prompt`` row; the next plain message of
that person answers it. A command, or a question left too long, drops the prompt and
leaves the message to whoever else handles it (the relay).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls.recurrence import RepeatError
from flows.calls.when import WhenError
from helpline.cases import calls as callwork
from helpline.cases.access import Actor, actor_for
from helpline.cases.answers import Answer
from helpline.cases.call_drafts import create_draft, draft_answer
from helpline.cases.call_times import read_typed, typed_error
from helpline.cases.calls import may_work
from helpline.cases.circle import close_alert
from helpline.cases.core import Services
from storage import repository as repo

# A question left unanswered this long no longer catches the next message (which may be
# meant for the resident, through the relay).
PROMPT_TTL = timedelta(minutes=15)


async def answer_prompt(
    session: AsyncSession, services: Services, user_id: int, text: str
) -> Answer | None:
    """Uses ``text``, the next message of staff member ``user_id``, as the answer to
    their open prompt, and returns the reply with its buttons.

    None when the message is no answer: no open prompt, or the prompt was dropped
    because the message is a command or the prompt is older than ``PROMPT_TTL``.
    """
    staff = await repo.get_staff(session=session, telegram_user_id=user_id)
    prompt = (
        await repo.get_prompt(session=session, staff_id=staff.id) if staff and staff.id else None
    )
    if prompt is None or staff is None:
        return None
    stale = services.clock() - prompt.created_at > PROMPT_TTL
    if text.startswith("/") or stale:  # the person moved on: the message is not an answer
        await repo.clear_prompt(session=session, staff_id=prompt.staff_id)
        return None
    actor = await actor_for(session, user_id)
    assert actor is not None
    return await _answer(session, services, actor, prompt.kind, prompt.target_id, text)


async def _answer(
    session: AsyncSession, services: Services, actor: Actor, kind: str, target: int, text: str
) -> Answer:
    t, lang = services.texts, services.staff_language
    if not text.strip():
        key = "circle_ask_note" if kind == "alert_note" else "call_ask_typed"
        return t(key, lang, action="…"), ()
    if kind == "alert_note":
        return await close_alert(session, services, actor, target, text), ()
    try:
        moment, repeat = read_typed(services, text)
    except (WhenError, RepeatError) as exc:
        return typed_error(services, exc), ()
    if kind == "plan_time":
        request = await repo.get_request(session=session, request_id=target)
        await repo.clear_prompt(session=session, staff_id=actor.id)
        if request is None or not actor.may("plan_call", request):
            return t("not_allowed", lang), ()
        draft = await create_draft(session, services, actor, request, moment, repeat)
        return await draft_answer(session, services, draft)
    call = await repo.get_call(session=session, call_id=target)
    await repo.clear_prompt(session=session, staff_id=actor.id)
    request = await repo.get_request(session=session, request_id=call.request_id) if call else None
    if call is None or request is None or not may_work(actor, call):
        return t("call_not_yours", lang), ()
    if not await callwork.reschedule(session, services, call, moment):
        return t("call_already_done", lang), ()
    return t(
        "call_moved", lang, reference=request.reference, when=callwork.when(services, moment)
    ), ()
