"""The outbox: messages that must reach Telegram, delivered by the dispatcher."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Outbox, OutboxStatus


async def enqueue(
    *,
    session: AsyncSession,
    chat_id: int,
    text: str,
    purpose: str,
    now: datetime,
    reply_markup: str | None = None,
    request_id: int | None = None,
    not_before: datetime | None = None,
) -> Outbox:
    """Adds a message to the outbox, due at ``not_before`` (default ``now``).

    It is sent by the dispatcher after the transaction commits, and written with the
    transaction's next flush or its commit (no flush of its own, see ``log_contact``),
    so a batch of messages flushes once.
    """
    row = Outbox(
        chat_id=chat_id,
        text=text,
        purpose=purpose,
        reply_markup=reply_markup,
        request_id=request_id,
        created_at=now,
        not_before=not_before or now,
    )
    session.add(row)
    session.info[QUEUED_KEY] = True
    return row


# Marks a session that queued a message, so the handler kicks the dispatcher only then.
QUEUED_KEY = "outbox.queued"


def queued_messages(*, session: AsyncSession) -> bool:
    """True when ``enqueue`` ran in this session (its commit put new rows in the outbox)."""
    return bool(session.info.get(QUEUED_KEY))


async def claim_due(
    *,
    session: AsyncSession,
    now: datetime,
    limit: int = 50,
    lease: timedelta = timedelta(minutes=2),
) -> list[Outbox]:
    """Takes due rows for sending: pending ones, and ones whose sender died mid-send.

    On PostgreSQL the rows are locked with ``FOR UPDATE SKIP LOCKED`` so two
    instances never take the same row.
    """
    due = or_(
        and_(col(Outbox.status) == OutboxStatus.pending, col(Outbox.not_before) <= now),
        and_(col(Outbox.status) == OutboxStatus.sending, col(Outbox.locked_until) < now),
    )
    query = select(Outbox).where(due).order_by(col(Outbox.not_before), col(Outbox.id)).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(await session.scalars(query))
    for row in rows:
        row.status = OutboxStatus.sending
        row.locked_until = now + lease
        row.attempts += 1
    await session.flush()
    return rows


async def mark_sent(
    *, session: AsyncSession, outbox_id: int, message_id: int, now: datetime
) -> None:
    """Records that Telegram accepted the message."""
    await session.execute(
        update(Outbox)
        .where(col(Outbox.id) == outbox_id)
        .values(status=OutboxStatus.sent, sent_at=now, message_id=message_id, locked_until=None)
    )


async def mark_retry(
    *, session: AsyncSession, outbox_id: int, not_before: datetime, error: str
) -> None:
    """Puts the message back in line to try again at ``not_before``."""
    await session.execute(
        update(Outbox)
        .where(col(Outbox.id) == outbox_id)
        .values(
            status=OutboxStatus.pending, not_before=not_before, locked_until=None, error=error[:200]
        )
    )


async def mark_failed(*, session: AsyncSession, outbox_id: int, error: str) -> None:
    """Gives up on the message (blocked chat, bad request): it will not be retried."""
    await session.execute(
        update(Outbox)
        .where(col(Outbox.id) == outbox_id)
        .values(status=OutboxStatus.failed, locked_until=None, error=error[:200])
    )


async def release(*, session: AsyncSession, outbox_ids: list[int]) -> int:
    """Puts rows taken for sending but not tried back in line, as they were (the bot is
    stopping); only rows still ``sending`` change. Returns how many."""
    if not outbox_ids:
        return 0
    result = await session.execute(
        update(Outbox)
        .where(col(Outbox.id).in_(outbox_ids), col(Outbox.status) == OutboxStatus.sending)
        .values(
            status=OutboxStatus.pending,
            locked_until=None,
            attempts=col(Outbox.attempts) - 1,
        )
        .returning(col(Outbox.id))
    )
    return len(result.all())


ATTEMPTED = "at most once: sending was attempted"


async def mark_attempted(*, session: AsyncSession, outbox_id: int) -> None:
    """Notes that an at-most-once row is about to go to Telegram (see ``recover_in_flight``)."""
    await session.execute(update(Outbox).where(col(Outbox.id) == outbox_id).values(error=ATTEMPTED))


async def recover_in_flight(
    *, session: AsyncSession, now: datetime, at_most_once: frozenset[str] = frozenset()
) -> tuple[int, list[int | None]]:
    """After a restart: rows a dead sender left ``sending`` are due again at once.

    Only the active instance calls this, before it sends anything, so every
    ``sending`` row belongs to a sender that died. Telegram may or may not have
    taken such a row; a purpose in ``at_most_once`` (a reminder must never arrive
    twice) whose sending was attempted (``mark_attempted``) is marked failed instead
    of being sent again.

    Returns:
        How many rows were put back in line, and the request ids of the rows given up
        (so the coordinators can be told which reminders may not have arrived).
    """
    in_flight = col(Outbox.status) == OutboxStatus.sending
    once = col(Outbox.purpose).in_(sorted(at_most_once))
    given_up = await session.scalars(
        update(Outbox)
        .where(in_flight, once, col(Outbox.error) == ATTEMPTED)
        .values(
            status=OutboxStatus.failed,
            locked_until=None,
            error="outcome unknown: the bot stopped while sending",
        )
        .returning(col(Outbox.request_id))
    )
    given_up_requests = list(given_up)
    retried = await session.execute(
        update(Outbox)
        .where(in_flight)
        .values(status=OutboxStatus.pending, not_before=now, locked_until=None)
    )
    return int(retried.rowcount or 0), given_up_requests  # type: ignore[attr-defined]
