"""Residents: who asked, and whether the line knows them already."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Integer, String, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.direct import Prepared
from storage.models import Request, RequestStatus, Resident
from storage.repository import hot

_BY_TELEGRAM_ID = select(Resident).where(
    col(Resident.telegram_user_id) == bindparam("telegram_user_id")
)


async def get_resident_by_telegram_id(
    *, session: AsyncSession, telegram_user_id: int
) -> Resident | None:
    """The resident who uses this Telegram account, or None."""
    return await session.scalar(_BY_TELEGRAM_ID, {"telegram_user_id": telegram_user_id})


async def get_resident_by_chat_id(*, session: AsyncSession, chat_id: int) -> Resident | None:
    """The resident whose private chat this is, or None."""
    return await session.scalar(select(Resident).where(col(Resident.chat_id) == chat_id))


async def upsert_telegram_resident(
    *,
    session: AsyncSession,
    telegram_user_id: int,
    chat_id: int,
    first_name: str | None,
    language: str,
    phone: str | None = None,
    village: str | None = None,
) -> Resident:
    """Finds or creates the resident for a Telegram user and refreshes what they told us
    (a phone or village only when given). One statement; the resident returned is for
    reading (not in the session, see ``storage.repository.hot``)."""
    fields: dict[str, Any] = {"telegram_user_id": telegram_user_id, "chat_id": chat_id}
    fields |= {"first_name": first_name, "language": language}
    fields |= {"phone": phone or None, "village": village or None}
    upsert = _upsert_by_telegram_id(session.get_bind().dialect.name)
    (row,) = await upsert.rows(session, hot.row_values(Resident, fields))
    return hot.as_model(Resident, row)


@cache
def _upsert_by_telegram_id(dialect: str) -> Prepared:
    table = hot.table_of(Resident)
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    new = insert.excluded
    refreshed: dict[str, Any] = {name: new[name] for name in ("chat_id", "first_name", "language")}
    refreshed |= {name: func.coalesce(new[name], table.c[name]) for name in ("phone", "village")}
    return Prepared(
        insert.on_conflict_do_update(
            index_elements=["telegram_user_id"], set_={**refreshed, "blocked_at": None}
        ).returning(*table.columns)
    )


async def find_or_add_resident(
    *,
    session: AsyncSession,
    phone: str | None,
    first_name: str | None,
    village: str | None,
    language: str,
) -> Resident:
    """The resident with this phone number (newest), or a new one (phone, walk-in, email)."""
    resident = None
    if phone:
        resident = await session.scalar(
            select(Resident).where(col(Resident.phone) == phone).order_by(col(Resident.id).desc())
        )
    if resident is None:
        resident = Resident(phone=phone, language=language)
        session.add(resident)
    resident.first_name = first_name or resident.first_name
    resident.village = village or resident.village
    await session.flush()
    return resident


@dataclass(frozen=True)
class Familiarity:
    """The known-resident check: earlier requests and which queue holds an open one."""

    known: bool
    earlier_requests: int
    open_queue: str | None

    @property
    def label(self) -> str:
        """``bekend`` or ``nieuw``, as stored for reporting."""
        return "bekend" if self.known else "nieuw"


# Built once (asked on every submit and claim): the resident's ids by Telegram id or
# phone. A NULL parameter matches nothing, so one statement serves every combination,
# and ``request_id`` NULL means "no card yet": every request counts.
_REQUEST_ID = bindparam("request_id", type_=Integer)
_RESIDENT_IDS = (
    select(col(Resident.id))
    .where(
        or_(
            col(Resident.telegram_user_id) == bindparam("telegram_user_id", type_=BigInteger),
            col(Resident.phone) == bindparam("phone", type_=String),
        )
    )
    .scalar_subquery()
)
_EARLIER = Prepared(
    select(func.count(col(Request.id))).where(
        col(Request.resident_id).in_(_RESIDENT_IDS),
        or_(_REQUEST_ID.is_(None), col(Request.id) < _REQUEST_ID),
    )
)
_OPEN_QUEUE = Prepared(
    select(col(Request.queue))
    .where(
        col(Request.resident_id).in_(_RESIDENT_IDS),
        or_(
            col(Request.status) == RequestStatus.open,
            col(Request.status) == RequestStatus.claimed,
        ),
        or_(_REQUEST_ID.is_(None), col(Request.id) != _REQUEST_ID),
    )
    .order_by(col(Request.id).desc())
    .limit(1)
)


async def familiarity(
    *,
    session: AsyncSession,
    telegram_user_id: int | None,
    phone: str | None,
    exclude_resident_id: int | None = None,
    request_id: int | None = None,
) -> Familiarity:
    """Matches a resident by Telegram id and normalised phone against earlier requests.

    With ``request_id`` (the request a card is about) only requests before it count as
    earlier, and the open one it reports is another than this one.
    """
    if telegram_user_id is None and not phone:
        return Familiarity(False, 0, None)
    params = {
        "telegram_user_id": telegram_user_id,
        "phone": phone or None,
        "request_id": request_id,
    }
    ((earlier,),) = await _EARLIER.rows(session, params)
    found = await _OPEN_QUEUE.first(session, params)
    open_queue = found[0] if found is not None else None
    count = int(earlier or 0)
    return Familiarity(count > 0, count, open_queue)
