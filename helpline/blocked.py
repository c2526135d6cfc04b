"""When a resident blocks the bot (Telegram 403): stop chat messages, tell the holder."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from helpline.services import Services
from storage import repository as repo
from storage.models import Outbox, Resident


async def chat_blocked(services: Services, row: Outbox) -> None:
    """A resident blocked the bot: stop chat messages to them and tell the holder."""
    if row.chat_id <= 0:  # a group, not a resident
        return
    t, lang = services.texts, services.staff_language
    async with services.db.session() as session:
        now = services.clock()
        resident = await session.scalar(
            select(Resident).where(col(Resident.chat_id) == row.chat_id)
        )
        if resident is None or resident.id is None:
            return
        await repo.mark_blocked(session=session, resident_id=resident.id, now=now)
        request = (
            await repo.get_request(session=session, request_id=row.request_id)
            if row.request_id
            else None
        )
        holder = (
            await repo.get_staff_by_id(session=session, staff_id=request.claimed_by)
            if request is not None and request.claimed_by
            else None
        )
        if request is None or holder is None:
            return
        await repo.enqueue(
            session=session,
            now=now,
            chat_id=holder.telegram_user_id,
            purpose="alert",
            request_id=request.id,
            text=t(
                "relay_blocked",
                lang,
                first_name=resident.first_name or "?",
                reference=request.reference,
            ),
        )
