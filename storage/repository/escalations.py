"""Escalation rows: durable checks on unclaimed requests, taken once each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.direct import Prepared
from storage.models import Escalation


async def schedule_escalations(
    *, session: AsyncSession, request_id: int, stages: list[tuple[str, datetime]], now: datetime
) -> None:
    """Adds the pending escalation stages of a request (written with the next flush or the
    commit, see ``log_contact``)."""
    for stage, due_at in stages:
        session.add(Escalation(request_id=request_id, stage=stage, due_at=due_at, created_at=now))


async def take_due_escalations(
    *, session: AsyncSession, now: datetime, limit: int = 100
) -> list[Escalation]:
    """Marks due escalations done and returns them; a row is taken by one caller only."""
    query = (
        select(Escalation)
        .where(col(Escalation.status) == "pending", col(Escalation.due_at) <= now)
        .order_by(col(Escalation.due_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(await session.scalars(query))
    for row in rows:
        row.status, row.done_at = "done", now
    await session.flush()
    return rows


_CANCEL = Prepared(
    update(Escalation)
    .where(
        col(Escalation.request_id) == bindparam("w_request_id"), col(Escalation.status) == "pending"
    )
    .values(status="cancelled", done_at=bindparam("now"))
)


async def cancel_escalations(*, session: AsyncSession, request_id: int, now: datetime) -> None:
    """Drops the pending escalations of a request (it was claimed or closed)."""
    await _CANCEL.rows(session, {"w_request_id": request_id, "now": now})
