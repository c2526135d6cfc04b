"""Requests (cases): creation with a reference number, the atomic claim, lookups."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import col

from storage.direct import Prepared
from storage.models import ReferenceCounter, Request, RequestStatus

OPEN_STATUSES = (RequestStatus.open, RequestStatus.claimed)


async def next_reference(*, session: AsyncSession, prefix: str, year: int) -> str:
    """Hands out the next reference of the year, e.g. ``HH-2026-00042``; safe under concurrency."""
    statement = _next_number(session.get_bind().dialect.name)
    ((number,),) = await statement.rows(session, {"year": year})
    return f"{prefix}-{year}-{number:05d}"


@cache
def _next_number(dialect: str) -> Prepared:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return Prepared(
        insert(ReferenceCounter)
        .values(year=bindparam("year"), last=1)
        .on_conflict_do_update(
            index_elements=["year"], set_={"last": col(ReferenceCounter.last) + 1}
        )
        .returning(col(ReferenceCounter.last))
    )


async def create_request(*, session: AsyncSession, prefix: str, **fields: Any) -> Request:
    """Stores a new request with the next reference number of its creation year."""
    request = Request(reference="pending", **fields)
    request.reference = await next_reference(
        session=session, prefix=prefix, year=request.created_at.year
    )
    session.add(request)
    await session.flush()
    return request


async def get_request(*, session: AsyncSession, request_id: int) -> Request | None:
    """The request with this id, or None."""
    return await session.get(Request, request_id)


async def get_request_by_reference(*, session: AsyncSession, reference: str) -> Request | None:
    """The request with this reference (``HH-2026-00042``), or None."""
    found: Request | None = await session.scalar(
        select(Request).where(col(Request.reference) == reference)
    )
    return found


# Built once (every won claim): the conditional UPDATE that decides who gets a request.
_CLAIM = Prepared(
    update(Request)
    .where(
        col(Request.id) == bindparam("request_id"),
        col(Request.claimed_by).is_(None),
        col(Request.status) == RequestStatus.open,
    )
    .values(
        claimed_by=bindparam("staff_id"),
        claimed_at=bindparam("now"),
        status=RequestStatus.claimed,
    )
    .returning(col(Request.id))
)


async def claim_request(
    *, session: AsyncSession, request_id: int, staff_id: int, now: datetime
) -> bool:
    """Claims an open request for ``staff_id``; the database decides who wins.

    Returns:
        True when this call claimed it, False when it was already taken or is closed.
    """
    params = {"request_id": request_id, "staff_id": staff_id, "now": now}
    won = await _CLAIM.first(session, params) is not None
    # A request this session loaded learns what the UPDATE wrote, without reading it back.
    request = session.identity_map.get(identity_key(Request, request_id)) if won else None
    if isinstance(request, Request):
        at = now.astimezone(UTC)  # as the column gives it back
        changed = {"claimed_by": staff_id, "claimed_at": at, "status": RequestStatus.claimed}
        for name, value in changed.items():
            set_committed_value(request, name, value)
    return won


async def set_card(
    *, session: AsyncSession, request_id: int, chat_id: int, message_id: int
) -> None:
    """Remembers where the request's queue card was posted, so it can be edited later."""
    await session.execute(
        update(Request)
        .where(col(Request.id) == request_id)
        .values(card_chat_id=chat_id, card_message_id=message_id)
    )


_LATEST_OPEN = (  # built once: asked on a resident's every message outside an intake
    select(Request)
    .where(
        col(Request.resident_id) == bindparam("resident_id"),
        col(Request.status).in_(OPEN_STATUSES),
    )
    .order_by(col(Request.id).desc())
    .limit(1)
)


async def latest_open_request(*, session: AsyncSession, resident_id: int) -> Request | None:
    """The resident's most recent request that is still open or claimed."""
    return await session.scalar(_LATEST_OPEN, {"resident_id": resident_id})
