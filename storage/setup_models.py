"""First run: the queues' Telegram groups linked with ``/koppel``, and the one-time code
that makes its sender the first admin.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def _time(*, nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class QueueChat(SQLModel, table=True):
    """The Telegram group of a queue, linked by an admin or coordinator with ``/koppel``.

    A row, not process memory: a standby instance that takes over sends to the same
    groups. The QUEUE_CHATS setting, where it names a queue, wins over this row.
    """

    __tablename__ = "queue_chat"
    queue: str = Field(primary_key=True, max_length=64)
    chat_id: int = Field(sa_type=BigInteger)
    linked_by: int | None = Field(default=None, foreign_key="staff.id")
    linked_at: datetime = Field(sa_column=_time())


class SetupCode(SQLModel, table=True):
    """A one-time code that makes its sender the first admin (``/start <code>``).

    Only a hash is kept: the code itself is shown once, on the console. It works once,
    until ``expires_at``, and only while there is no admin.
    """

    __tablename__ = "setup_code"
    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=_time())
    expires_at: datetime = Field(sa_column=_time())
    used_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    used_by: int | None = Field(default=None, sa_type=BigInteger)  # a Telegram user id
