"""The coordinator web page's rows: one-time login links and browser sessions.

Neither holds personal data of residents, nor a secret that works by itself: a link
and a session are stored only as the SHA-256 of their random token, so a copy of the
database cannot be used to log in. Using a link and ending a session are conditional
updates (``storage.repository.web_login``): of two uses of one link exactly one wins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _time(*, nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class WebLoginLink(SQLModel, table=True):
    """A login link the bot sent a staff member in their private chat (``/inloggen``)."""

    __tablename__ = "web_login_link"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    expires_at: datetime = Field(sa_column=_time())
    used_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))


class WebSession(SQLModel, table=True):
    """A logged-in browser: ended by logging out, by idling, or at its latest end."""

    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    # The form token (CSRF) of this session; random, checked on every POST.
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    expires_at: datetime = Field(sa_column=_time())  # the latest end, however busy
    ended_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
