"""One-time login links and sessions of the web page; every change a conditional update.

Tokens reach this module only as their SHA-256 (``token_hash``). A link is used by
``UPDATE … WHERE used_at IS NULL AND expires_at > now``: the database decides, so of
two simultaneous uses exactly one gets the staff id. A session is alive while it is
not ended, not past its latest end and not idle for longer than the idle limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import Staff
from storage.repository.conditional import changed
from storage.web_models import WebLoginLink, WebSession


async def create_login_link(
    *, session: AsyncSession, token_hash: str, staff_id: int, now: datetime, expires_at: datetime
) -> None:
    """Stores a new login link (by the hash of its token)."""
    session.add(
        WebLoginLink(
            token_hash=token_hash, staff_id=staff_id, created_at=now, expires_at=expires_at
        )
    )
    await session.flush()


async def use_login_link(*, session: AsyncSession, token_hash: str, now: datetime) -> int | None:
    """Marks the link used, once and only before it expires; the staff id, else None."""
    result = await session.execute(
        update(WebLoginLink)
        .where(
            col(WebLoginLink.token_hash) == token_hash,
            col(WebLoginLink.used_at).is_(None),
            col(WebLoginLink.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(WebLoginLink.staff_id))
    )
    return result.scalar_one_or_none()


async def create_session(
    *,
    session: AsyncSession,
    token_hash: str,
    staff_id: int,
    csrf_token: str,
    now: datetime,
    expires_at: datetime,
) -> WebSession:
    """Stores a new browser session."""
    row = WebSession(
        token_hash=token_hash,
        staff_id=staff_id,
        csrf_token=csrf_token,
        created_at=now,
        last_seen_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return row


class LiveSession(NamedTuple):
    """A live session: its id and form token, and its staff member as stored now."""

    id: int
    csrf_token: str
    staff: Staff


_STAFF = Staff.__table__  # type: ignore[attr-defined]
_SESSIONS = WebSession.__table__  # type: ignore[attr-defined]
# Columns, not entities: a live page asks every second, and loading two ORM entities
# (identity map, change tracking) costs more than the query. The staff member is built
# detached: read only, nothing written through it.
_LIVE_SESSION = (
    select(_SESSIONS.c.id, _SESSIONS.c.csrf_token, *_STAFF.c)
    .join(_STAFF, _STAFF.c.id == _SESSIONS.c.staff_id)
    .where(
        _SESSIONS.c.token_hash == bindparam("token_hash"),
        _SESSIONS.c.ended_at.is_(None),
        _SESSIONS.c.expires_at > bindparam("now"),
        _SESSIONS.c.last_seen_at > bindparam("seen_after"),
    )
)


async def live_session(
    *, session: AsyncSession, token_hash: str, now: datetime, idle: timedelta
) -> LiveSession | None:
    """The session with this token while it is alive (not ended, expired or idle too
    long), with its staff member as stored now: one query, as a live page asks every
    second."""
    found = (
        await session.execute(
            _LIVE_SESSION, {"token_hash": token_hash, "now": now, "seen_after": now - idle}
        )
    ).first()
    if found is None:
        return None
    session_id, csrf_token, *staff = found
    return LiveSession(
        session_id, csrf_token, Staff(**dict(zip(_STAFF.c.keys(), staff, strict=True)))
    )


async def touch_session(
    *, session: AsyncSession, session_id: int, now: datetime, every: timedelta
) -> None:
    """Notes activity, at most once per ``every`` (a live page polls; not a write per poll)."""
    await session.execute(
        update(WebSession)
        .where(
            col(WebSession.id) == session_id,
            col(WebSession.ended_at).is_(None),
            col(WebSession.last_seen_at) <= now - every,
        )
        .values(last_seen_at=now)
    )


async def end_session(*, session: AsyncSession, token_hash: str, now: datetime) -> bool:
    """Ends a session (logout); False when it had already ended."""
    return await changed(
        session,
        update(WebSession)
        .where(col(WebSession.token_hash) == token_hash, col(WebSession.ended_at).is_(None))
        .values(ended_at=now),
    )
