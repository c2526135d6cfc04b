"""Applying the personal-data map (``storage.repository.personal_data``) to rows: clearing
free text and identity of a resident's linked rows, and cancelling what is still to happen
for them. Erasure and retention both call these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from storage.models import CallReminder, ScheduledCall, Staff
from storage.repository.personal_data import HOLDERS, PENDING, Holder, Link

CHUNK = 500  # ids per IN (...) list: well below SQLite's and asyncpg's parameter limits

Ids = Sequence[int] | Sequence[str] | Select[Any]


def _column(model: type[SQLModel], name: str) -> Any:
    return getattr(model, name)


def _chunks(ids: Ids) -> list[Ids]:
    if isinstance(ids, Select):
        return [ids]
    unique: list[Any] = sorted(set(ids), key=str)  # ids of one kind: all ints or all numbers
    return [unique[i : i + CHUNK] for i in range(0, len(unique), CHUNK)]


def _differs(model: type[SQLModel], values: Mapping[str, Any]) -> Any:
    """Rows not yet cleared: keeps a second run from touching (and counting) them."""
    tests = []
    for name, value in values.items():
        column = _column(model, name)
        tests.append(column.is_not(None) if value is None else column != value)
    return or_(*tests)


async def scrub(
    *,
    session: AsyncSession,
    ids: Mapping[Link, Ids],
    identity: bool,
    holders: Sequence[Holder] = HOLDERS,
) -> dict[str, int]:
    """Clears free text (and, with ``identity``, names and numbers) of the linked rows.

    Returns the number of rows changed or deleted per table.
    """
    changed: dict[str, int] = {}
    for holder in holders:
        linked = ids.get(holder.link)
        if linked is None:
            continue
        values = dict(holder.free_text) | (dict(holder.identity) if identity else {})
        if not values and not holder.delete:
            continue
        column = _column(holder.model, holder.column)
        for chunk in _chunks(linked):
            if holder.delete:
                result: Any = await session.execute(delete(holder.model).where(column.in_(chunk)))
            else:
                statement = (
                    update(holder.model)
                    .where(column.in_(chunk), _differs(holder.model, values))
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                result = await session.execute(statement)
            changed[holder.table] = changed.get(holder.table, 0) + (result.rowcount or 0)
    return changed


async def cancel_pending(
    *, session: AsyncSession, ids: Mapping[Link, Ids], now: datetime
) -> dict[str, int]:
    """Cancels messages, reminders, calls and open requests that are still to happen."""
    cancelled: dict[str, int] = {}
    for item in PENDING:
        linked = ids.get(item.link)
        if linked is None:
            continue
        values = dict(item.values) | ({item.stamp: now} if item.stamp else {})
        column = _column(item.model, item.column)
        status = _column(item.model, item.status)
        for chunk in _chunks(linked):
            result: Any = await session.execute(
                update(item.model)
                .where(column.in_(chunk), status.in_(item.waiting))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            name = str(item.model.__tablename__)
            cancelled[name] = cancelled.get(name, 0) + (result.rowcount or 0)
    # Reminders hang off calls, not requests; a staff member's relay target is a request.
    requests = ids.get(Link.request)
    for chunk in _chunks(requests) if requests is not None else []:
        calls = select(col(ScheduledCall.id)).where(col(ScheduledCall.request_id).in_(chunk))
        await session.execute(
            update(CallReminder)
            .where(col(CallReminder.call_id).in_(calls), col(CallReminder.status) == "pending")
            .values(status="cancelled", done_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(Staff)
            .where(col(Staff.active_request_id).in_(chunk))
            .values(active_request_id=None)
            .execution_options(synchronize_session=False)
        )
    return cancelled
