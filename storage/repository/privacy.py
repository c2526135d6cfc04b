"""A resident's data rights: find them by a REF, collect everything, erase it.

What is collected and erased is read from ``storage.repository.personal_data``,
the one map of where personal data lives. Erasure anonymises the resident row
instead of deleting it, so contacts keep counting as the same (anonymous) person
and the tallies do not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from flows.privacy import EXPORT_FORMAT, Ref
from storage.email_models import ResidentEmail
from storage.models import ErasureRequest, Request, RequestStatus, Resident
from storage.repository.conditional import changed
from storage.repository.personal_data import HOLDERS, HOUSEKEEPING, Link
from storage.repository.scrub import cancel_pending, scrub

OPEN = (RequestStatus.open, RequestStatus.claimed)


@dataclass(frozen=True)
class Subject:
    """Everyone's rows that belong to one person: their resident row, requests and chats."""

    resident_id: int | None
    request_ids: tuple[int, ...]
    telegram_ids: tuple[int, ...]
    phones: tuple[str, ...] = ()  # their number: calls from it before it was on record

    @property
    def ids(self) -> dict[Link, Sequence[int] | Sequence[str]]:
        """The linking ids per kind of link."""
        return {
            Link.resident: (self.resident_id,) if self.resident_id is not None else (),
            Link.request: self.request_ids,
            Link.telegram: self.telegram_ids,
            Link.phone: self.phones,
        }


@dataclass(frozen=True)
class Match:
    """A resident a REF matched, with enough to tell two apart (no name or number)."""

    resident_id: int
    created_at: datetime
    references: tuple[str, ...]
    how: str  # import | phone | email | request | id


async def find_residents(*, session: AsyncSession, ref: Ref) -> list[Match]:
    """Every not yet anonymised resident the REF may mean, oldest first."""
    found: dict[int, str] = {}
    if ref.resident_id is not None:
        found[ref.resident_id] = "id"
    if ref.external_ref is not None:
        for rid in await session.scalars(
            select(col(Resident.id)).where(col(Resident.external_ref) == ref.external_ref)
        ):
            if rid is not None:
                found.setdefault(rid, "import")
    if ref.request_reference is not None:
        rid = await session.scalar(
            select(col(Request.resident_id)).where(
                func.upper(col(Request.reference)) == ref.request_reference
            )
        )
        if rid is not None:
            found.setdefault(rid, "request")
    if ref.phone is not None:
        for rid in await session.scalars(
            select(col(Resident.id)).where(col(Resident.phone) == ref.phone)
        ):
            if rid is not None:
                found.setdefault(rid, "phone")
    if ref.email is not None:  # addresses are stored in lower case
        for rid in await session.scalars(
            select(col(ResidentEmail.resident_id)).where(col(ResidentEmail.address) == ref.email)
        ):
            found.setdefault(rid, "email")
    matches = []
    for resident_id, how in found.items():
        resident = await session.get(Resident, resident_id)
        if resident is None or resident.anonymised_at is not None:
            continue
        references = await session.scalars(
            select(col(Request.reference))
            .where(col(Request.resident_id) == resident_id)
            .order_by(col(Request.id))
        )
        matches.append(Match(resident_id, resident.created_at, tuple(references), how))
    return sorted(matches, key=lambda m: m.resident_id)


async def subject_of(
    *, session: AsyncSession, resident: Resident | None, telegram_ids: Sequence[int] = ()
) -> Subject:
    """The person behind a resident row and/or a Telegram account (also without a row)."""
    ids = set(telegram_ids)
    requests: tuple[int, ...] = ()
    if resident is not None and resident.id is not None:
        ids |= {i for i in (resident.telegram_user_id, resident.chat_id) if i is not None}
        requests = tuple(
            await session.scalars(
                select(col(Request.id))
                .where(col(Request.resident_id) == resident.id)
                .order_by(col(Request.id))
            )
        )
    phones = (resident.phone,) if resident is not None and resident.phone else ()
    return Subject(resident.id if resident else None, requests, tuple(sorted(ids)), phones)


async def open_requests(*, session: AsyncSession, subject: Subject) -> list[Request]:
    """The person's requests that are still open or claimed."""
    if not subject.request_ids:
        return []
    rows = await session.scalars(
        select(Request)
        .where(col(Request.id).in_(subject.request_ids), col(Request.status).in_(OPEN))
        .order_by(col(Request.id))
    )
    return list(rows)


def _row(model: SQLModel) -> dict[str, Any]:
    return {
        column.name: getattr(model, column.key)
        for column in model.__table__.columns  # type: ignore[attr-defined]
    }


async def collect(*, session: AsyncSession, subject: Subject, now: datetime) -> dict[str, Any]:
    """Everything stored about the person, per table, as plain values (the export)."""
    tables: dict[str, dict[Any, dict[str, Any]]] = {}
    for holder in HOLDERS:
        linked = subject.ids[holder.link]
        rows = tables.setdefault(holder.table, {})
        if not linked:
            continue
        column = getattr(holder.model, holder.column)
        for model in await session.scalars(select(holder.model).where(column.in_(linked))):
            row = _row(model)
            key = tuple(row[c.name] for c in holder.model.__table__.primary_key)  # type: ignore[attr-defined]
            rows[key] = row
    return {
        "format": EXPORT_FORMAT,
        "created_at": now.isoformat(),
        "resident_id": subject.resident_id,
        "tables": {
            name: [rows[key] for key in sorted(rows)] for name, rows in tables.items() if rows
        },
    }


def holds_data(export: dict[str, Any]) -> bool:
    """True when anything about the person is stored (message ids for /wis do not count)."""
    return any(rows for name, rows in export["tables"].items() if name not in HOUSEKEEPING)


@dataclass(frozen=True)
class Erasure:
    """What erasure changed: rows cleared or deleted, and things cancelled, per table."""

    cleared: dict[str, int]
    cancelled: dict[str, int]


async def erase(*, session: AsyncSession, subject: Subject, now: datetime) -> Erasure:
    """Erases the person: cancels what is pending, clears free text and identity.

    Contacts stay (category, channel, village, date) and the resident row stays,
    anonymised, so the tallies and their unique-resident counts are unchanged.
    """
    ids = subject.ids
    cancelled = await cancel_pending(session=session, ids=ids, now=now)
    cleared = await scrub(session=session, ids=ids, identity=True)
    if subject.resident_id is not None:
        await session.execute(
            update(Resident)
            .where(col(Resident.id) == subject.resident_id, col(Resident.anonymised_at).is_(None))
            .values(anonymised_at=now)
            .execution_options(synchronize_session=False)
        )
    session.expire_all()  # rows loaded before are stale now
    return Erasure(cleared, cancelled)


# --- Erasure waiting for a coordinator ---------------------------------------------


async def pending_erasure(*, session: AsyncSession, resident_id: int) -> ErasureRequest | None:
    """The resident's erasure request that waits for a coordinator, if any."""
    return await session.scalar(
        select(ErasureRequest).where(
            col(ErasureRequest.resident_id) == resident_id,
            col(ErasureRequest.status) == "pending",
        )
    )


async def request_erasure(
    *, session: AsyncSession, resident_id: int, source: str, now: datetime
) -> ErasureRequest:
    """Records that the resident asked to be forgotten (it waits for a coordinator)."""
    row = ErasureRequest(resident_id=resident_id, source=source, requested_at=now)
    session.add(row)
    await session.flush()
    return row


async def decide_erasure(
    *, session: AsyncSession, erasure_id: int, staff_id: int, approve: bool, now: datetime
) -> ErasureRequest | None:
    """Decides a pending erasure request; None when it was already decided (first one wins)."""
    if not await changed(
        session,
        update(ErasureRequest)
        .where(col(ErasureRequest.id) == erasure_id, col(ErasureRequest.status) == "pending")
        .values(status="done" if approve else "refused", decided_by=staff_id, decided_at=now)
        .execution_options(synchronize_session=False),
    ):
        return None
    return await session.get(ErasureRequest, erasure_id, populate_existing=True)


async def pending_erasures(*, session: AsyncSession) -> list[tuple[ErasureRequest, list[str]]]:
    """Erasure requests waiting for a coordinator, oldest first, with the open references."""
    rows = await session.scalars(
        select(ErasureRequest)
        .where(col(ErasureRequest.status) == "pending")
        .order_by(col(ErasureRequest.requested_at), col(ErasureRequest.id))
    )
    found = []
    for row in rows:
        references = await session.scalars(
            select(col(Request.reference))
            .where(col(Request.resident_id) == row.resident_id, col(Request.status).in_(OPEN))
            .order_by(col(Request.id))
        )
        found.append((row, list(references)))
    return found
