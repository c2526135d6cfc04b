"""Safety check questions and staff corrections of triage.

Every change is one conditional statement: an answer takes the open question only once,
a category changes only from the category the staff member saw.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Request, RequestStatus, SafetyCheck, TriageCorrection
from storage.repository.conditional import changed

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


@dataclass(frozen=True)
class _Triaged:
    """A request's triage labels as they stood before a staff member corrected them.

    Taken before the update: the update refreshes the request in the session.
    """

    request_id: int
    text: str | None
    kind: str
    category: str
    urgency: str

    @classmethod
    def of(cls, request: Request) -> _Triaged:
        """The labels the request has now."""
        return cls(
            request.id or 0, request.summary, request.kind, request.category, request.urgency
        )

    def corrected(
        self,
        *,
        staff_id: int,
        now: datetime,
        category: str | None = None,
        urgency: str | None = None,
    ) -> TriageCorrection:
        """The correction to these labels (a label not given stays as it was)."""
        return TriageCorrection(
            request_id=self.request_id,
            staff_id=staff_id,
            text=self.text,
            kind=self.kind,
            old_category=self.category,
            new_category=self.category if category is None else category,
            old_urgency=self.urgency,
            new_urgency=self.urgency if urgency is None else urgency,
            created_at=now,
        )


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
    before = replace(_Triaged.of(request), category=old_category)
    if not await changed(
        session,
        update(Request)
        .where(
            col(Request.id) == request.id,
            col(Request.category) == old_category,
            col(Request.status).in_(LIVE),
        )
        .values(category=new_category),
    ):
        return False
    session.add(before.corrected(staff_id=staff_id, now=now, category=new_category))
    return True


async def mark_missed_crisis(
    *, session: AsyncSession, request: Request, staff_id: int, now: datetime
) -> bool:
    """Marks a request that triage did not see as a crisis a crisis after all, and keeps
    the pair as training data. False when it was already a crisis or has been erased."""
    before = _Triaged.of(request)
    if not await changed(
        session,
        update(Request)
        .where(
            col(Request.id) == request.id,
            col(Request.urgency) != "crisis",
            col(Request.status) != RequestStatus.cancelled,
        )
        .values(urgency="crisis"),
    ):
        return False
    session.add(before.corrected(staff_id=staff_id, now=now, urgency="crisis"))
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
