"""Asking staff for a call's time: the quick picks, or a typed time after "zelf kiezen".

Planning a call (``call:pick:<request>``) and moving one (``call:mvp:<call>``) ask the
same way; only the question, the step of its buttons and the prompt that catches a
typed time differ. A typed time (``/plan``'s or one answering a prompt) is read by
``read_typed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls.recurrence import Repeat, RepeatError, parse_repeat
from flows.calls.when import WhenError, parse_when
from helpline.cases import calls as callwork
from helpline.cases.access import Actor
from helpline.cases.answers import Answer
from helpline.cases.call_drafts import pick_buttons, picked_moment
from helpline.cases.core import Services

MAX_TYPED = 200


@dataclass(frozen=True)
class TimeQuestion:
    """One way of asking a time: the question's text key, the step its quick-pick
    buttons carry and the kind of prompt that catches a typed answer."""

    text_key: str
    step: str
    prompt_kind: str


PLAN_TIME = TimeQuestion("call_ask_when", "pick", "plan_time")
MOVE_TIME = TimeQuestion("call_ask_move", "mvp", "move_time")


def ask_time(services: Services, question: TimeQuestion, reference: str, target_id: int) -> Answer:
    """The question about ``reference`` with its quick picks for ``target_id``."""
    text = services.texts(question.text_key, services.staff_language, reference=reference)
    return text, pick_buttons(services, question.step, target_id)


async def picked_or_ask(
    session: AsyncSession,
    services: Services,
    actor: Actor,
    question: TimeQuestion,
    *,
    reference: str,
    target_id: int,
    value: str,
) -> datetime | Answer:
    """The moment of the pressed quick pick ``value``; else the answer to show: the
    question again, or (for "zelf kiezen") the prompt to type a time."""
    if not value:
        return ask_time(services, question, reference, target_id)
    moment = await picked_moment(
        session, services, actor, value=value, prompt_kind=question.prompt_kind, target_id=target_id
    )
    if moment is None:  # e.g. "later today" pressed after the evening began
        return ask_time(services, question, reference, target_id)
    return moment


def read_typed(services: Services, text: str) -> tuple[datetime, Repeat | None]:
    """A typed moment with an optional repetition; raises WhenError or RepeatError."""
    if len(text) > MAX_TYPED:
        raise WhenError("when_unreadable", text[:30])
    now, zone = services.clock(), callwork.zone(services)
    repeat, rest = parse_repeat(text, today=now.astimezone(zone).date())
    moment = parse_when(rest, now=now, zone=zone, config=callwork.call_config(services))
    return moment, repeat


def typed_error(services: Services, exc: WhenError | RepeatError) -> str:
    """The re-prompt for a typed time that could not be used."""
    t, lang = services.texts, services.staff_language
    detail = exc.detail if isinstance(exc, WhenError) else ""
    return t(exc.key, lang, detail=detail) + "\n\n" + t("call_ask_typed", lang)
