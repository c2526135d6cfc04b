"""Calls that need looking after: open for too long, or answered and left without a choice.

Both moves are conditional updates on the state they were decided from, so a late
event from the exchange, a button press or a second instance racing the job changes
a call once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.repository.conditional import changed
from storage.repository.telephony import REMINDED
from storage.telephony_models import PhoneCall, PhoneCallState

OPEN_STATES = (PhoneCallState.ringing, PhoneCallState.answered)


async def stale_calls(
    *, session: AsyncSession, rang_before: datetime, limit: int = 200
) -> list[PhoneCall]:
    """Calls still ringing or answered that started ringing before ``rang_before``."""
    rows = await session.scalars(
        select(PhoneCall)
        .where(col(PhoneCall.state).in_(OPEN_STATES), col(PhoneCall.ringing_at) < rang_before)
        .order_by(col(PhoneCall.id))
        .limit(limit)
    )
    return list(rows)


async def close_unknown(*, session: AsyncSession, call: PhoneCall, at: datetime) -> bool:
    """ringing → unknown (no end was ever reported); False when it moved meanwhile."""
    return await changed(
        session,
        update(PhoneCall)
        .where(col(PhoneCall.id) == call.id, col(PhoneCall.state) == PhoneCallState.ringing)
        .values(state=PhoneCallState.unknown, ended_at=at, cause="unknown"),
    )


async def take_unhandled(
    *, session: AsyncSession, ended_before: datetime, ended_after: datetime, limit: int = 200
) -> list[PhoneCall]:
    """Answered calls that ended in the window with no 📝/ℹ️ chosen, marked as reminded.

    The mark is the condition (``follow_up IS NULL``): each call is taken once, ever.
    """
    ids = list(
        await session.scalars(
            update(PhoneCall)
            .where(
                col(PhoneCall.id).in_(
                    select(col(PhoneCall.id))
                    .where(
                        col(PhoneCall.state) == PhoneCallState.ended,
                        col(PhoneCall.follow_up).is_(None),
                        col(PhoneCall.answered_by).is_not(None),
                        col(PhoneCall.ended_at) < ended_before,
                        col(PhoneCall.ended_at) >= ended_after,
                    )
                    .order_by(col(PhoneCall.id))
                    .limit(limit)
                ),
                col(PhoneCall.follow_up).is_(None),
            )
            .values(follow_up=REMINDED)
            .returning(col(PhoneCall.id))
            .execution_options(synchronize_session=False)
        )
    )
    if not ids:
        return []
    rows = await session.scalars(
        select(PhoneCall).where(col(PhoneCall.id).in_(ids)).order_by(col(PhoneCall.id))
    )
    return list(rows)
