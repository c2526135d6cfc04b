"""Safety check questions and staff corrections of triage.

Every change is one conditional statement: an answer takes the open question only once,
a category changes only from the category the staff member saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Request, RequestStatus, SafetyCheck, TriageCorrection

# A request that has been erased (cancelled) or closed is not recategorised.
LIVE = (RequestStatus.open, RequestStatus.claimed)


@dataclass(frozen=True)
class Answered:
    """The check question a resident just answered: its safety line and message."""

    line: str
    text: str


async def ask_safety_check(
    *, session: AsyncSession, chat_id: int, user_id: int, line: str, text: str, now: datetime
) -> None:
    """Records that a check question was put to the resident, with the message behind it."""
    session.add(SafetyCheck(chat_id=chat_id, user_id=user_id, line=line, text=text, asked_at=now))


async def take_safety_check(*, session: AsyncSession, chat_id: int) -> Answered | None:
    """Removes the chat's open check questions and returns the latest; None when there is
    none (answered already, or never asked): a second press finds nothing."""
    result = await session.execute(
        delete(SafetyCheck)
        .where(col(SafetyCheck.chat_id) == chat_id)
        .returning(col(SafetyCheck.id), col(SafetyCheck.line), col(SafetyCheck.text))
    )
    rows = sorted(result.all())
    return Answered(rows[-1][1], "\n".join(row[2] for row in rows)) if rows else None


async def recategorise(
    *,
    session: AsyncSession,
    request: Request,
    staff_id: int,
    old_category: str,
    new_category: str,
    now: datetime,
) -> bool:
    """Changes a live request's category, only if it still has ``old_category``, and keeps
    the pair as training data. False when someone else changed it first."""
    urgency, summary, kind = request.urgency, request.summary, request.kind
    changed = await session.execute(
        update(Request)
        .where(
            col(Request.id) == request.id,
            col(Request.category) == old_category,
            col(Request.status).in_(LIVE),
        )
        .values(category=new_category)
        .returning(col(Request.id))
    )
    if changed.scalar_one_or_none() is None:
        return False
    session.add(
        TriageCorrection(
            request_id=request.id or 0,
            staff_id=staff_id,
            text=summary,
            kind=kind,
            old_category=old_category,
            new_category=new_category,
            old_urgency=urgency,
            new_urgency=urgency,
            created_at=now,
        )
    )
    return True


async def mark_missed_crisis(
    *, session: AsyncSession, request: Request, staff_id: int, now: datetime
) -> bool:
    """Marks a request that triage did not see as a crisis a crisis after all, and keeps
    the pair as training data. False when it was already a crisis or has been erased."""
    old_urgency = request.urgency  # the update below refreshes ``request`` in the session
    changed = await session.execute(
        update(Request)
        .where(
            col(Request.id) == request.id,
            col(Request.urgency) != "crisis",
            col(Request.status) != RequestStatus.cancelled,
        )
        .values(urgency="crisis")
        .returning(col(Request.urgency))
    )
    if changed.scalar_one_or_none() is None:
        return False
    session.add(
        TriageCorrection(
            request_id=request.id or 0,
            staff_id=staff_id,
            text=request.summary,
            kind=request.kind,
            old_category=request.category,
            new_category=request.category,
            old_urgency=old_urgency,
            new_urgency="crisis",
            created_at=now,
        )
    )
    return True


async def training_corrections(*, session: AsyncSession) -> list[TriageCorrection]:
    """Every correction that still has its text (retention and erasure clear it), latest
    last: a request corrected twice trains on its final labels only."""
    rows = (
        await session.execute(
            select(TriageCorrection)
            .where(col(TriageCorrection.text).is_not(None), col(TriageCorrection.text) != "")
            .order_by(col(TriageCorrection.id))
        )
    ).scalars()
    latest = {row.request_id: row for row in rows}
    return list(latest.values())
