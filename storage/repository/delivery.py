"""Batch bookkeeping for the dispatcher: one statement per batch instead of one per row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Outbox, OutboxStatus, Resident


async def mark_sent_many(
    *, session: AsyncSession, sent: Sequence[tuple[int, int]], now: datetime
) -> None:
    """Records that Telegram accepted these (outbox id, message id) rows."""
    if not sent:
        return
    # ORM bulk UPDATE by primary key: one executemany for the whole batch.
    await session.execute(
        update(Outbox),
        [
            {
                "id": row_id,
                "status": OutboxStatus.sent,
                "sent_at": now,
                "message_id": message_id,
                "locked_until": None,
            }
            for row_id, message_id in sent
        ],
    )


async def resident_chats(*, session: AsyncSession, chat_ids: Sequence[int]) -> set[int]:
    """Which of these private chats are residents' (their chat id is their Telegram id)."""
    wanted = sorted({c for c in chat_ids if c > 0})
    if not wanted:
        return set()
    rows = await session.scalars(
        select(col(Resident.telegram_user_id)).where(col(Resident.telegram_user_id).in_(wanted))
    )
    return {int(r) for r in rows if r is not None}
