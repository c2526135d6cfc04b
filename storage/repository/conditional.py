"""Conditional updates: a state change that the database decides.

A change is one ``UPDATE … WHERE <the state it expects>``. Of two concurrent changes
the first finds the row as expected and changes it; the second then matches nothing,
and learns so from the row count.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Update
from sqlalchemy.ext.asyncio import AsyncSession


async def changed(session: AsyncSession, statement: Update) -> bool:
    """Runs a conditional update; True when a row met its conditions (and so changed)."""
    result: Any = await session.execute(statement)
    return bool(result.rowcount)
