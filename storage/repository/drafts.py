"""Intake drafts: a resident's conversation state, one row per private chat."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

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
    await session.execute(delete(IntakeDraft).where(col(IntakeDraft.chat_id) == chat_id))
