"""Storing imported contacts: residents by external reference, new/known, no doubles.

Called inside one session (one transaction) for a whole file, so a file is stored
entirely or not at all. Rows whose ``import_key`` is already stored are skipped,
which makes importing the same file again harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Contact, Resident

IMPORT_EVENT = "import"
# SQLite allows 32766 bound parameters; stay far below it (and keep statements small).
_IN_CHUNK = 500
_BATCH = 2000

T = TypeVar("T")


@dataclass(frozen=True)
class ImportedContact:
    """One checked row of an import file (times aware UTC, values as keys)."""

    occurred_at: datetime
    channel: str
    direction: str
    kind: str
    category: str | None
    village: str | None
    location: str | None
    queue: str | None
    outcome: str | None
    resident_ref: str | None
    import_key: str


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    added: int
    already_present: int
    new_residents: int


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert_ignoring(session: AsyncSession, table: Any, conflict: str) -> Any:
    """``INSERT ... ON CONFLICT (conflict) DO NOTHING`` in the session's dialect."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=[conflict])


async def _resident_ids(
    session: AsyncSession, refs: Sequence[str], now: datetime
) -> tuple[dict[str, int], int]:
    """The resident id of every reference, creating residents not seen before."""
    ids: dict[str, int] = {}
    for chunk in _chunks(refs, _IN_CHUNK):
        rows = await session.execute(
            select(col(Resident.external_ref), col(Resident.id)).where(
                col(Resident.external_ref).in_(chunk)
            )
        )
        ids.update({ref: rid for ref, rid in rows if ref is not None and rid is not None})
    missing = [ref for ref in refs if ref not in ids]
    table = Resident.__table__  # type: ignore[attr-defined]
    for chunk in _chunks(missing, _BATCH):
        await session.execute(
            _insert_ignoring(session, table, "external_ref"),
            [{"external_ref": ref, "language": "nl", "created_at": now} for ref in chunk],
        )
    for chunk in _chunks(missing, _IN_CHUNK):
        rows = await session.execute(
            select(col(Resident.external_ref), col(Resident.id)).where(
                col(Resident.external_ref).in_(chunk)
            )
        )
        ids.update({ref: rid for ref, rid in rows if ref is not None and rid is not None})
    return ids, len(missing)


async def _first_contacts(
    session: AsyncSession, resident_ids: Sequence[int]
) -> dict[int, datetime]:
    """The earliest stored contact of each of these residents."""
    first: dict[int, datetime] = {}
    for chunk in _chunks(resident_ids, _IN_CHUNK):
        rows = await session.execute(
            select(col(Contact.resident_id), func.min(col(Contact.occurred_at)))
            .where(col(Contact.resident_id).in_(chunk))
            .group_by(col(Contact.resident_id))
        )
        first.update({rid: when for rid, when in rows if rid is not None})
    return first


async def _stored_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    stored: set[str] = set()
    for chunk in _chunks(keys, _IN_CHUNK):
        rows = await session.scalars(
            select(col(Contact.import_key)).where(col(Contact.import_key).in_(chunk))
        )
        stored.update(key for key in rows if key is not None)
    return stored


def _new_or_known(
    contacts: Sequence[ImportedContact], first: dict[str, datetime | None]
) -> dict[str, str]:
    """``nieuw`` for a resident's first contact (stored or in the file), else ``bekend``."""
    labels: dict[str, str] = {}
    seen: set[str] = set()
    ordered = sorted(
        (c for c in contacts if c.resident_ref is not None), key=lambda c: c.occurred_at
    )  # stable: same moment keeps file order
    for contact in ordered:
        ref = contact.resident_ref
        assert ref is not None
        earlier = first.get(ref)
        known = ref in seen or (earlier is not None and earlier < contact.occurred_at)
        labels[contact.import_key] = "bekend" if known else "nieuw"
        seen.add(ref)
    return labels


async def import_contacts(
    *,
    session: AsyncSession,
    contacts: Sequence[ImportedContact],
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Stores the contacts not stored before; ``progress`` hears of every batch written."""
    refs = sorted({c.resident_ref for c in contacts if c.resident_ref is not None})
    resident_ids, new_residents = await _resident_ids(session, refs, now)
    first_stored = await _first_contacts(session, list(resident_ids.values()))
    first = {ref: first_stored.get(rid) for ref, rid in resident_ids.items()}
    familiarity = _new_or_known(contacts, first)
    stored = await _stored_keys(session, [c.import_key for c in contacts])
    fresh = [c for c in contacts if c.import_key not in stored]
    table = Contact.__table__  # type: ignore[attr-defined]
    for batch in _chunks(fresh, _BATCH):
        rows = [
            {
                "occurred_at": c.occurred_at,
                "channel": c.channel,
                "direction": c.direction,
                "kind": c.kind,
                "event": IMPORT_EVENT,
                "category": c.category,
                "village": c.village,
                "location": c.location,
                "queue": c.queue,
                "outcome": c.outcome,
                "new_or_known": familiarity.get(c.import_key),
                "resident_id": resident_ids.get(c.resident_ref) if c.resident_ref else None,
                "staff_id": None,
                "request_id": None,
                "import_key": c.import_key,
            }
            for c in batch
        ]
        await session.execute(insert(table), rows)
        if progress is not None:
            progress(len(batch))
    return ImportResult(len(fresh), len(contacts) - len(fresh), new_residents)
