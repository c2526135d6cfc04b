"""The audit log: append-only rows of who viewed, exported, erased, changed or handed over.

There is deliberately no function here that changes or deletes a row; the database
refuses UPDATE and DELETE on ``audit_log`` too (triggers in migration 0005).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import AuditEntry, Request, Staff
from storage.repository import hot

MAX_DETAIL = 400


async def record_audit(
    *,
    session: AsyncSession,
    actor_staff_id: int | None,
    action: str,
    request_id: int | None = None,
    resident_id: int | None = None,
    detail: str | None = None,
    now: datetime,
) -> None:
    """Appends one audit row in the caller's transaction (a Core insert, written at once).

    Args:
        actor_staff_id: the staff member who acted; None for the command line.
        action: an ``AuditAction`` value.
        detail: ids, keys and counts only (``"handover=12 basis=consent"``) — never a
            resident's text, name or phone number.
    """
    await hot.append(
        session,
        AuditEntry,
        occurred_at=now,
        actor_staff_id=actor_staff_id,
        action=str(action),
        request_id=request_id,
        resident_id=resident_id,
        detail=detail[:MAX_DETAIL] if detail else None,
    )


async def audit_entries(
    *, session: AsyncSession, start: datetime, end: datetime, limit: int | None = None
) -> list[tuple[AuditEntry, Staff | None, str | None]]:
    """Audit rows with ``start <= occurred_at < end``, oldest first.

    Each comes with the acting staff member (None for the command line) and the
    request's reference (None when there is no request, or it no longer exists).
    """
    query = (
        select(AuditEntry, Staff, col(Request.reference))
        .outerjoin(Staff, col(Staff.id) == col(AuditEntry.actor_staff_id))
        .outerjoin(Request, col(Request.id) == col(AuditEntry.request_id))
        .where(col(AuditEntry.occurred_at) >= start, col(AuditEntry.occurred_at) < end)
        .order_by(col(AuditEntry.occurred_at), col(AuditEntry.id))
    )
    if limit is not None:
        query = query.limit(limit)
    rows = await session.execute(query)
    return [(entry, staff, reference) for entry, staff, reference in rows.all()]
