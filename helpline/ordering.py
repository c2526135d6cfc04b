"""Per-chat order, cross-chat concurrency for incoming updates.

PTB's ``concurrent_updates`` runs updates in parallel with no order at all; a
resident pressing two buttons quickly could see them handled out of order. This
processor runs the updates of one person in one chat one after another, and all others
at once. In a private chat that is the chat. In a group (a queue's cards) it is each
member: staff pressing Claim on different cards, or on the same one, need not wait for
each other (the database decides who wins a claim); with Telegram's round trips of
about 100 ms per call, one line for a whole group would make a busy group slow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Serialises updates per (chat, person) with one lock each."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}
        self._waiting: dict[tuple[int, int], int] = {}

    @staticmethod
    def _key(update: object) -> tuple[int, int]:
        """(chat, person): in a private chat the two are one; 0 where there is none."""
        if isinstance(update, Update):
            chat, user = update.effective_chat, update.effective_user
            return (chat.id if chat else 0, user.id if user else 0)
        return (0, 0)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Waits for earlier updates of the same person in the same chat, then runs this one."""
        key = self._key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:  # forget idle chats so the dict stays small
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to close."""
