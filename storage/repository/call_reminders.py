"""The reminders of scheduled calls: adding and withdrawing them, and taking the due ones
(each by one caller only) to word and send them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import (
    CallReminder,
    CallStatus,
    Outbox,
    OutboxStatus,
    Request,
    Resident,
    ScheduledCall,
    Staff,
)


async def add_reminders(
    *, session: AsyncSession, call_id: int, items: Sequence[tuple[str, datetime]]
) -> None:
    """Adds pending reminders (kind, due time) for a call."""
    session.add_all(CallReminder(call_id=call_id, kind=k, due_at=at) for k, at in items)
    await session.flush()


async def cancel_reminders(
    *, session: AsyncSession, call_id: int, now: datetime, kinds: Sequence[str] | None = None
) -> None:
    """Drops the pending reminders of a call (it was made, moved or cancelled)."""
    query = update(CallReminder).where(
        col(CallReminder.call_id) == call_id, col(CallReminder.status) == "pending"
    )
    if kinds is not None:
        query = query.where(col(CallReminder.kind).in_(kinds))
    await session.execute(query.values(status="cancelled", done_at=now))
    # Reminders already worded ahead of their time wait in the outbox: withdraw those too.
    staged = select(col(CallReminder.outbox_id)).where(
        col(CallReminder.call_id) == call_id, col(CallReminder.outbox_id).is_not(None)
    )
    if kinds is not None:
        staged = staged.where(col(CallReminder.kind).in_(kinds))
    await session.execute(
        update(Outbox)
        .where(col(Outbox.id).in_(staged), col(Outbox.status) == OutboxStatus.pending)
        .values(status=OutboxStatus.failed, error="withdrawn: the call was settled or moved")
    )


@dataclass
class DueReminder:
    """A taken reminder with everything needed to word it."""

    reminder: CallReminder
    call: ScheduledCall
    request: Request
    assignee: Staff
    resident: Resident | None


async def take_due_reminders(
    *, session: AsyncSession, now: datetime, limit: int = 200
) -> list[DueReminder]:
    """Takes due pending reminders, each by one caller only, with their call and people.

    On PostgreSQL the rows are locked with ``FOR UPDATE SKIP LOCKED``; everywhere a
    conditional ``UPDATE … WHERE status = 'pending'`` decides who took a row. The caller
    sets each reminder's final status in the same transaction.
    """
    query = (
        select(col(CallReminder.id))
        .where(col(CallReminder.status) == "pending", col(CallReminder.due_at) <= now)
        .order_by(col(CallReminder.due_at), col(CallReminder.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(await session.scalars(query))
    if not ids:
        return []
    taken = await session.execute(
        update(CallReminder)
        .where(col(CallReminder.id).in_(ids), col(CallReminder.status) == "pending")
        .values(status="taken")
        .returning(col(CallReminder.id))
    )
    taken_ids = list(taken.scalars())
    rows = await session.execute(
        select(CallReminder, ScheduledCall, Request, Staff, Resident)
        .join(ScheduledCall, col(ScheduledCall.id) == col(CallReminder.call_id))
        .join(Request, col(Request.id) == col(ScheduledCall.request_id))
        .join(Staff, col(Staff.id) == col(ScheduledCall.assignee_id))
        .outerjoin(Resident, col(Resident.id) == col(Request.resident_id))
        .where(col(CallReminder.id).in_(taken_ids))
        .order_by(col(CallReminder.due_at), col(CallReminder.id))
        .execution_options(populate_existing=True)
    )
    return [DueReminder(*row) for row in rows]


async def finish_reminder(
    *,
    session: AsyncSession,
    reminder: CallReminder,
    status: str,
    now: datetime,
) -> None:
    """Records what became of a taken reminder (sent, late, missed, expired, ...).

    Written with the transaction (no flush of its own: a burst is one batched write).
    """
    reminder.status, reminder.done_at = status, now


async def link_messages(
    *, session: AsyncSession, links: Sequence[tuple[CallReminder, Outbox]]
) -> None:
    """Writes staged outbox rows and notes each reminder's message."""
    await session.flush()
    for reminder, row in links:
        reminder.outbox_id = row.id
    await session.flush()


async def defer_reminder(*, session: AsyncSession, reminder: CallReminder, at: datetime) -> None:
    """Puts a taken reminder back in line for later (after the quiet hours)."""
    reminder.status, reminder.due_at = "pending", at
    await session.flush()


async def next_due_times(*, session: AsyncSession) -> tuple[datetime | None, datetime | None]:
    """The earliest pending reminder and the earliest pending outbox row (either may be None)."""
    reminder = await session.scalar(
        select(func.min(col(CallReminder.due_at))).where(col(CallReminder.status) == "pending")
    )
    outbox = await session.scalar(
        select(func.min(col(Outbox.not_before))).where(col(Outbox.status) == OutboxStatus.pending)
    )
    return reminder, outbox


async def reminder_for_outbox(*, session: AsyncSession, outbox_id: int) -> CallReminder | None:
    """The reminder whose message is this outbox row, if any."""
    return await session.scalar(
        select(CallReminder).where(col(CallReminder.outbox_id) == outbox_id)
    )


async def cancel_assignee_reminders(*, session: AsyncSession, staff_id: int, now: datetime) -> int:
    """Stops the pending reminders to one person (their chat blocked the bot); returns calls."""
    calls = select(col(ScheduledCall.id)).where(
        col(ScheduledCall.assignee_id) == staff_id,
        col(ScheduledCall.status) == CallStatus.scheduled,
    )
    result = await session.execute(
        update(CallReminder)
        .where(
            col(CallReminder.call_id).in_(calls),
            col(CallReminder.status) == "pending",
            col(CallReminder.kind).in_(["lead", "due"]),
        )
        .values(status="blocked", done_at=now)
        .returning(col(CallReminder.call_id))
    )
    return len(set(result.scalars()))
