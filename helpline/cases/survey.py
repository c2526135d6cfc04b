"""The satisfaction survey's question, put in the outbox once a request is resolved."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls.schedule import after_quiet_hours
from flows.conversation import markup_json
from flows.satisfaction import survey_question
from helpline.cases.calls import call_config
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import Request, Resident

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
