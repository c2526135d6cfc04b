"""Intake drafts: a resident's conversation state, one row per private chat.

Two ways in. The ORM (``get_draft``, ``save_draft``) for staff intakes, the CLI and
tests. And the resident's hot path (``load_draft_row``, ``insert_draft_row``,
``update_draft_row``): SQLAlchemy Core statements on the table, built once at import,
with a plain ``DraftRow`` instead of a mapped object — an intake step reads one row and
writes one row, and the ORM's identity map and unit of work cost several times the
statements themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from flows.errors import DraftChanged
from storage.direct import Prepared
from storage.models import IntakeDraft

# Built once: the draft is read on almost every update, and building the statement (and
# its cache key) each time cost about a third of the read.
_DRAFT_OF_CHAT = select(IntakeDraft).where(col(IntakeDraft.chat_id) == bindparam("chat_id"))


async def get_draft(*, session: AsyncSession, chat_id: int) -> IntakeDraft | None:
    """The intake in progress in this chat, or None."""
    return await session.scalar(_DRAFT_OF_CHAT, {"chat_id": chat_id})


async def save_draft(*, session: AsyncSession, draft: IntakeDraft) -> IntakeDraft:
    """Inserts or updates the draft."""
    merged = await session.merge(draft)
    await session.flush()
    return merged


async def delete_draft(*, session: AsyncSession, chat_id: int) -> None:
    """Forgets the intake in this chat (on submit or cancel)."""
    await _DELETE.rows(session, {"chat_id": chat_id})


@dataclass(slots=True)
class DraftRow:
    """An ``intake_draft`` row as plain values (the columns of ``IntakeDraft``).

    ``read`` holds the values as loaded, so ``update_draft_row`` writes only when
    something changed, and only if the row is still as it was read.
    """

    chat_id: int
    user_id: int
    step: str
    id: int | None = None
    flow: str = "resident"
    channel: str | None = None
    location: str | None = None
    language: str = "nl"
    first_name: str | None = None
    consent_at: datetime | None = None
    consent_version: str | None = None
    question: str | None = None
    category: str | None = None
    alternatives: str = ""
    urgency: str = "normal"
    kind: str = "hulpvraag"
    village: str | None = None
    phone: str | None = None
    contact_preference: str | None = None
    preferred_time: str | None = None
    request_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    read: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)

    def values(self) -> tuple[Any, ...]:
        """The column values, in ``COLUMNS`` order."""
        values: tuple[Any, ...] = _VALUES(self)
        return values


_TABLE: Table = IntakeDraft.__table__  # type: ignore[attr-defined]
COLUMNS = tuple(c.name for c in _TABLE.columns)
_WRITTEN = tuple(name for name in COLUMNS if name not in ("id", "chat_id"))
_INSERTED = (*_WRITTEN, "chat_id")
# The dataclass must hold exactly the table's columns (a new column fails at import).
assert {f.name for f in fields(DraftRow)} - {"read"} == set(COLUMNS), "DraftRow != intake_draft"
_VALUES = attrgetter(*COLUMNS)
_STEP, _UPDATED_AT = COLUMNS.index("step"), COLUMNS.index("updated_at")

_LOAD = Prepared(select(*_TABLE.columns).where(_TABLE.c.chat_id == bindparam("chat_id")))
_INSERT = Prepared(
    insert(_TABLE).values({name: bindparam(name) for name in _INSERTED}).returning(_TABLE.c.id)
)
# Conditional on the state the step was decided from: the same step, stamped at the same
# moment. Every column is set, so there is one statement (one compiled form) for all steps.
_UPDATE = Prepared(
    update(_TABLE)
    .where(
        _TABLE.c.id == bindparam("w_id"),
        _TABLE.c.step == bindparam("w_step"),
        _TABLE.c.updated_at == bindparam("w_updated_at"),
    )
    .values({name: bindparam(name) for name in _WRITTEN})
    .returning(_TABLE.c.id)
)
_DELETE = Prepared(delete(_TABLE).where(_TABLE.c.chat_id == bindparam("chat_id")))
_EXISTS = Prepared(select(_TABLE.c.id).where(_TABLE.c.id == bindparam("id")))


async def load_draft_row(*, session: AsyncSession, chat_id: int) -> DraftRow | None:
    """The intake in progress in this chat as plain values, or None."""
    found = await _LOAD.first(session, {"chat_id": chat_id})
    if found is None:
        return None
    row = DraftRow(**dict(zip(COLUMNS, found, strict=True)))
    row.read = found  # the values in ``COLUMNS`` order, as ``values()`` gives them
    return row


async def insert_draft_row(*, session: AsyncSession, row: DraftRow, now: datetime) -> DraftRow:
    """Stores a new draft (a resident starting an intake); sets its id."""
    row.created_at = row.created_at or now
    row.updated_at = row.updated_at or now
    params = {name: getattr(row, name) for name in _INSERTED}
    (row.id,) = (await _INSERT.rows(session, params))[0]
    row.read = row.values()
    return row


async def update_draft_row(*, session: AsyncSession, row: DraftRow) -> None:
    """Writes the draft's changes, if any, on the condition that it is still as read.

    A draft deleted in the meantime (submitted or cancelled in this transaction) stays
    deleted. One changed by someone else raises ``DraftChanged``.
    """
    if row.read is None or row.values() == row.read:
        return
    params = {name: getattr(row, name) for name in _WRITTEN}
    params.update(w_id=row.id, w_step=row.read[_STEP], w_updated_at=row.read[_UPDATED_AT])
    if await _UPDATE.first(session, params) is not None:
        row.read = row.values()
        return
    if await _EXISTS.first(session, {"id": row.id}) is not None:
        raise DraftChanged(f"intake draft {row.id} changed since it was read")
