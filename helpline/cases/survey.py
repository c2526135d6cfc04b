"""The satisfaction survey: its question, put in the outbox once a request is resolved,
and the resident's answers — a grade or "Liever niet" (only for their own resolved
request, only once) and an optional remark, recognised by the reference in the
invitation it replies to, so no conversation state is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls.schedule import after_quiet_hours
from flows.conversation import markup_json
from flows.satisfaction import SurveyAnswer, survey_answer_text, survey_question
from helpline.cases.calls import call_config
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import Request, RequestStatus, Resident
from storage.repository import satisfaction
from storage.repository.requests import get_request_by_reference

# Nobody can tell how satisfied they are with help that never reached them.
NOT_ASKED_AFTER = frozenset({"niet_bereikbaar"})


async def ask_satisfaction(session: AsyncSession, services: Services, request: Request) -> bool:
    """Queues the survey question for the resident of a just-resolved request.

    Returns False when the resident is not asked: no Telegram chat, blocked the bot, the
    outcome was that they could not be reached, or the request was a crisis.
    """
    if request.outcome in NOT_ASKED_AFTER or request.id is None:
        return False
    if request.urgency == "crisis":  # after a crisis a satisfaction mark is not the question
        return False
    resident = await session.get(Resident, request.resident_id) if request.resident_id else None
    if resident is None or resident.chat_id is None or resident.blocked_at is not None:
        return False
    question = survey_question(
        services.texts,
        request_id=request.id,
        reference=request.reference,
        lang=resident.language,
    )
    now = services.clock()
    await repo.enqueue(
        now=now,
        session=session,
        chat_id=resident.chat_id,
        text=question.text,
        reply_markup=markup_json(question.buttons),
        purpose="survey",
        request_id=request.id,
        # Staff may close a case late in the evening; the resident is asked in the morning.
        not_before=after_quiet_hours(
            now, zone=services.settings.zone, config=call_config(services)
        ),
    )
    return True


@dataclass(frozen=True)
class SurveyReply:
    """What the resident is told after a survey press or remark.

    ``refusal`` is a popup for a button that is not theirs to press (nothing stored).
    Otherwise ``text`` is the answer and, after a stored grade, ``invitation`` asks for
    an optional remark, typed as a reply with ``placeholder`` in the input field.
    """

    text: str = ""
    request_id: int | None = None
    stored: bool = False
    invitation: str | None = None
    placeholder: str = ""
    refusal: str | None = None


async def answer_survey(
    session: AsyncSession, services: Services, user_id: int, answer: SurveyAnswer | None
) -> SurveyReply:
    """Stores a grade or "Liever niet" for the presser's own resolved request, once."""
    texts = services.texts
    resident = await repo.get_resident_by_telegram_id(session=session, telegram_user_id=user_id)
    lang = resident.language if resident else services.settings.default_language
    request = (
        await repo.get_request(session=session, request_id=answer.request_id)
        if answer is not None and answer.request_id is not None
        else None
    )
    if (
        answer is None
        or resident is None
        or request is None
        or request.resident_id != resident.id
        or request.status != RequestStatus.resolved
    ):
        # Forged, stale or someone else's button: nothing stored, nothing shown.
        return SurveyReply(refusal=texts("survey_not_available", lang))
    now = services.clock()
    if answer.grade is None:
        stored = await satisfaction.opt_out(session=session, request_id=request.id or 0, now=now)
    else:
        stored = await satisfaction.record_grade(
            session=session, request_id=request.id or 0, grade=answer.grade, now=now
        )
    text = survey_answer_text(texts, answer=answer, stored=stored, lang=lang)
    if not stored or answer.grade is None:
        return SurveyReply(text, request.id, stored)
    return SurveyReply(
        text,
        request.id,
        stored,
        invitation=texts("survey_remark_prompt", lang, reference=request.reference),
        placeholder=texts("survey_remark_placeholder", lang),
    )


def invited_reference(services: Services, invitation: str) -> str | None:
    """The reference in ``invitation`` when it is the line's remark invitation, else None."""
    prefix = re.escape(services.config.organisation.reference_prefix)
    found = re.search(rf"\b{prefix}-\d{{4}}-\d{{5}}\b", invitation)
    if found is None:
        return None
    texts = services.texts
    invitations = {
        texts("survey_remark_prompt", lang, reference=found.group()) for lang in ("nl", "en")
    }
    return found.group() if invitation in invitations else None


async def add_remark(
    session: AsyncSession, services: Services, user_id: int, reference: str, remark: str
) -> SurveyReply | None:
    """Stores a remark on the resident's own request ``reference``; None when it is not
    theirs (the message is then handled as any other)."""
    resident = await repo.get_resident_by_telegram_id(session=session, telegram_user_id=user_id)
    request = await get_request_by_reference(session=session, reference=reference)
    if resident is None or request is None or request.resident_id != resident.id:
        return None
    stored = await satisfaction.add_remark(
        session=session, request_id=request.id or 0, remark=remark
    )
    key = "survey_remark_thanks" if stored else "survey_already_answered"
    return SurveyReply(services.texts(key, resident.language), request.id, stored)
