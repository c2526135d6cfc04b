"""Looking after calls the exchange left open, and answered calls nobody followed up.

Run every minute by the job queue (``helpline.handlers.phone_calls.phone_upkeep_job``):

- A call still ringing or answered ``TELEPHONY_STALE_CALL_MINUTES`` after it began
  ringing is closed: its hangup was lost (the bot or the exchange was down). An answered
  one ends as if the hangup had come (the contact is logged, the one who answered gets
  📝/ℹ️), with cause ``unknown``; a ringing one becomes ``unknown`` (nobody knows whether
  it was answered) and its pops say so. A hangup that does arrive before that time is
  handled as usual, also after a restart: the call's row is all it needs.
- An answered call whose 📝/ℹ️ was not pressed within ``REMINDER_AFTER`` gets one
  reminder, with the same buttons, in the private chat of the one who answered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from flows import call_pop
from flows.permissions import allowed
from flows.telephony import CallEvent, CallEventKind
from helpline.cases.call_outcome import PopEdit
from helpline.cases.core import Services
from helpline.cases.phone_follow_up import after_call_markup
from helpline.cases.telephony import UNKNOWN_END, change_pops, handle_call_event
from storage import repository as repo
from storage.repository import telephony_upkeep as upkeep
from storage.telephony_models import PhoneCall, PhoneCallState

logger = logging.getLogger(__name__)

REMINDER_AFTER = timedelta(minutes=15)
# Calls that ended longer ago than this get no reminder (after a long outage, or calls
# from before this version): a reminder about yesterday's call helps nobody.
REMINDER_WINDOW = timedelta(hours=12)
REMINDER_PURPOSE = "phone_follow_up_reminder"


@dataclass
class UpkeepOutcome:
    """What one run did; ``edits`` are pops Telegram shows, for the edge to change."""

    closed: int = 0
    reminded: int = 0
    edits: list[PopEdit] = field(default_factory=list)


async def run_phone_upkeep(services: Services) -> UpkeepOutcome:
    """Closes stale calls and sends due follow-up reminders; one transaction per call."""
    outcome = UpkeepOutcome()
    now = services.clock()
    stale_after = timedelta(minutes=services.settings.telephony_stale_call_minutes)
    async with services.db.session() as session:
        stale = await upkeep.stale_calls(session=session, rang_before=now - stale_after)
    for call in stale:
        if call.state == PhoneCallState.answered:
            ended = await handle_call_event(services, _unknown_end(call, now))
            outcome.closed += int(ended.changed)
            continue
        async with services.db.session() as session:
            if await upkeep.close_unknown(session=session, call=call, at=now):
                line = services.texts("tel_closed_unknown", services.staff_language)
                outcome.edits += await change_pops(session, call, line)
                outcome.closed += 1
    async with services.db.session() as session:
        for call in await upkeep.take_unhandled(
            session=session, ended_before=now - REMINDER_AFTER, ended_after=now - REMINDER_WINDOW
        ):
            outcome.reminded += await _remind(session, services, call)
    if outcome.closed or outcome.reminded:
        logger.info("phone upkeep: %d calls closed, %d reminders", outcome.closed, outcome.reminded)
    return outcome


def _unknown_end(call: PhoneCall, now: datetime) -> CallEvent:
    """The hangup the exchange never sent, as the use case reads events."""
    return CallEvent(
        provider=call.provider,
        call_id=call.call_id,
        event=CallEventKind.ended,
        from_number=call.caller_phone,
        to_number=None,
        direction=call.direction,
        at=now,
        cause=UNKNOWN_END,
    )


async def _remind(session: AsyncSession, services: Services, call: PhoneCall) -> int:
    """One reminder with 📝/ℹ️ to the one who answered; 0 when they cannot act on it."""
    assert call.answered_by is not None and call.id is not None
    staff = await repo.get_staff_by_id(session=session, staff_id=call.answered_by)
    if staff is None or not staff.active or not allowed(str(staff.role), "call_follow_up"):
        return 0
    lang, texts = services.staff_language, services.texts
    local = (call.ended_at or services.clock()).astimezone(services.settings.zone)
    await repo.enqueue(
        session=session,
        now=services.clock(),
        chat_id=staff.telegram_user_id,
        text=texts(
            "tel_follow_up_reminder",
            lang,
            number=call_pop.caller_label(texts, lang, call.caller_phone),
            time=local.strftime("%H:%M"),
        ),
        reply_markup=await after_call_markup(session, services, call),
        purpose=REMINDER_PURPOSE,
    )
    return 1
