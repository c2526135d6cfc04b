"""The contact log: every interaction, the unit of the yearly tallies."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Request, RequestNote


async def log_contact(*, session: AsyncSession, **fields: Any) -> Contact:
    """Appends one contact row, written with the transaction's next flush or its commit
    (no flush of its own: nothing in the transaction reads it back, and one flush of
    all new rows at the commit costs less than one each). The row's id is set then."""
    contact = Contact(**fields)
    session.add(contact)
    return contact


def request_contact_fields(request: Request) -> dict[str, Any]:
    """The contact fields a request determines (category, village, queue, ...)."""
    return {
        "kind": request.kind,
        "category": request.category,
        "village": request.village,
        "location": request.location,
        "queue": request.queue,
        "new_or_known": request.new_or_known,
        "resident_id": request.resident_id,
        "request_id": request.id,
    }


async def add_note(
    *, session: AsyncSession, request_id: int, author: str, text: str, staff_id: int | None = None
) -> RequestNote:
    """Keeps a message or note on a request (free text: subject to retention)."""
    note = RequestNote(request_id=request_id, author=author, text=text, staff_id=staff_id)
    session.add(note)
    await session.flush()
    return note
