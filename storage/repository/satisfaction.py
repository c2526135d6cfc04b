"""Satisfaction answers: one per request, a grade or an opt-out, never overwritten.

"Once per request" is the unique ``request_id``: the insert that comes second (a
double tap, a second device) does nothing and reports False.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import Satisfaction
from storage.repository.conditional import changed

MIN_GRADE, MAX_GRADE = 1, 10
MAX_REMARK = 1000


async def _insert_once(
    session: AsyncSession, *, request_id: int, grade: int | None, opted_out: bool, now: datetime
) -> bool:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = Satisfaction.__table__  # type: ignore[attr-defined]
    statement = (
        dialect.insert(table)
        .values(request_id=request_id, grade=grade, opted_out=opted_out, answered_at=now)
        .on_conflict_do_nothing(index_elements=["request_id"])
        .returning(table.c.id)
    )
    return (await session.scalar(statement)) is not None


async def record_grade(
    *, session: AsyncSession, request_id: int, grade: int, now: datetime
) -> bool:
    """Stores the resident's grade for a request; False when it was answered already.

    Raises:
        ValueError: for a grade outside 1-10.
    """
    if not MIN_GRADE <= grade <= MAX_GRADE:
        raise ValueError(f"grade must be {MIN_GRADE} to {MAX_GRADE}, not {grade}")
    return await _insert_once(session, request_id=request_id, grade=grade, opted_out=False, now=now)


async def opt_out(*, session: AsyncSession, request_id: int, now: datetime) -> bool:
    """Records "Liever niet" for a request; False when it was answered already."""
    return await _insert_once(session, request_id=request_id, grade=None, opted_out=True, now=now)


async def add_remark(*, session: AsyncSession, request_id: int, remark: str) -> bool:
    """Keeps the resident's remark with their grade (once; free text, subject to retention).

    Returns False when there is no grade for the request or it has a remark already.
    """
    remark = remark.strip()[:MAX_REMARK]
    if not remark:
        return False
    return await changed(
        session,
        update(Satisfaction)
        .where(
            col(Satisfaction.request_id) == request_id,
            col(Satisfaction.grade).is_not(None),
            col(Satisfaction.remark).is_(None),
        )
        .values(remark=remark),
    )


async def get_satisfaction(*, session: AsyncSession, request_id: int) -> Satisfaction | None:
    """The answer for a request, or None when the resident has not answered."""
    answer: Satisfaction | None = await session.scalar(
        select(Satisfaction).where(col(Satisfaction.request_id) == request_id)
    )
    return answer
