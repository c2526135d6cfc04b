"""Around scheduled calls: availability, typed-answer prompts, telefooncirkel alerts, the
resident's contact person and reminder wish, and finding a request by its reference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Availability, CallAlert, Request, Resident, StaffPrompt
from storage.repository.conditional import changed


async def get_availability(*, session: AsyncSession, staff_id: int) -> list[Availability]:
    """A person's weekly availability windows."""
    rows = await session.scalars(
        select(Availability)
        .where(col(Availability.staff_id) == staff_id)
        .order_by(col(Availability.weekday), col(Availability.start_minute))
    )
    return list(rows)


async def set_availability(
    *, session: AsyncSession, staff_id: int, windows: Sequence[tuple[int, int, int]]
) -> None:
    """Replaces a person's availability with (weekday, start minute, end minute) windows."""
    await session.execute(delete(Availability).where(col(Availability.staff_id) == staff_id))
    session.add_all(
        Availability(staff_id=staff_id, weekday=d, start_minute=s, end_minute=e)
        for d, s, e in windows
    )
    await session.flush()


async def set_prompt(
    *, session: AsyncSession, staff_id: int, kind: str, target_id: int, now: datetime
) -> None:
    """Remembers what this person's next typed message answers (one prompt at a time)."""
    await session.execute(delete(StaffPrompt).where(col(StaffPrompt.staff_id) == staff_id))
    session.add(StaffPrompt(staff_id=staff_id, kind=kind, target_id=target_id, created_at=now))
    await session.flush()


async def get_prompt(*, session: AsyncSession, staff_id: int) -> StaffPrompt | None:
    """The open prompt of this person, if any."""
    return await session.get(StaffPrompt, staff_id)


async def clear_prompt(*, session: AsyncSession, staff_id: int) -> None:
    """Forgets the open prompt of this person."""
    await session.execute(delete(StaffPrompt).where(col(StaffPrompt.staff_id) == staff_id))


async def create_alert(*, session: AsyncSession, **fields: Any) -> CallAlert:
    """Opens a telefooncirkel alert."""
    alert = CallAlert(**fields)
    session.add(alert)
    await session.flush()
    return alert


async def get_alert(*, session: AsyncSession, alert_id: int) -> CallAlert | None:
    """The alert with this id, or None."""
    return await session.get(CallAlert, alert_id)


async def close_alert(
    *, session: AsyncSession, alert_id: int, action: str, staff_id: int, now: datetime
) -> bool:
    """Closes an open alert with what was done; False when it was already closed."""
    return await changed(
        session,
        update(CallAlert)
        .where(col(CallAlert.id) == alert_id, col(CallAlert.status) == "open")
        .values(status="closed", action=action, closed_by=staff_id, closed_at=now),
    )


async def get_request_by_reference(*, session: AsyncSession, reference: str) -> Request | None:
    """The request with this reference (``HH-2026-00042``), or None."""
    return await session.scalar(select(Request).where(col(Request.reference) == reference))


async def set_contact_person(
    *, session: AsyncSession, resident_id: int, name: str | None, chat_id: int | None
) -> None:
    """Records (or clears) a resident's contact person for the telefooncirkel."""
    await session.execute(
        update(Resident)
        .where(col(Resident.id) == resident_id)
        .values(contact_person_name=name, contact_person_chat_id=chat_id)
    )


async def set_call_reminders(*, session: AsyncSession, resident_id: int, wanted: bool) -> None:
    """Records whether a resident wants reminders of their calls via Telegram."""
    await session.execute(
        update(Resident).where(col(Resident.id) == resident_id).values(call_reminders=wanted)
    )
