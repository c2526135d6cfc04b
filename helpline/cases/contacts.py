"""Counting contacts: every exchange with or about a resident is one row of the line's report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repository as repo
from storage.models import Channel, Direction, Request


async def count_contact(
    session: AsyncSession,
    request: Request,
    at: datetime,
    channel: Channel,
    direction: Direction,
    event: str,
    staff_id: int | None = None,
    outcome: str | None = None,
    kind: str | None = None,
) -> None:
    """Counts one contact about ``request``, in the caller's transaction; the request gives
    what the report breaks it down by (kind, category, village, queue, resident), ``kind``
    replaces the request's (a follow-up call counts as a follow-up)."""
    fields = repo.request_contact_fields(request)
    if outcome is not None:
        fields["outcome"] = outcome
    if kind is not None:
        fields["kind"] = kind
    await repo.log_contact(
        session=session,
        occurred_at=at,
        channel=channel,
        direction=direction,
        event=event,
        staff_id=staff_id,
        **fields,
    )
