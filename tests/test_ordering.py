"""Update order: one person in one chat in order; everyone else at the same time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from telegram import Chat, Message, Update, User

from helpline.ordering import PerChatUpdateProcessor

GROUP = Chat(-100_123, Chat.SUPERGROUP)


def update_from(user_id: int, chat: Chat | None = None, update_id: int = 1) -> Update:
    user = User(user_id, f"U{user_id}", is_bot=False)
    chat = chat or Chat(user_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, datetime.now(UTC), chat, from_user=user))


async def overlapped(first: Update, second: Update) -> bool:
    """Whether ``second`` started while ``first`` was still being handled."""
    processor = PerChatUpdateProcessor(max_concurrent_updates=64)
    release = asyncio.Event()
    started: list[str] = []

    async def slow() -> None:
        started.append("first")
        await release.wait()
        started.append("first done")

    async def quick() -> None:
        started.append("second")

    one = asyncio.create_task(processor.process_update(first, slow()))
    await asyncio.sleep(0.01)
    two = asyncio.create_task(processor.process_update(second, quick()))
    await asyncio.sleep(0.01)
    during = "second" in started
    release.set()
    await asyncio.gather(one, two)
    assert started.count("second") == 1 and "first done" in started
    return during


@pytest.mark.parametrize(
    ("first", "second", "at_once"),
    [
        (update_from(5), update_from(5, update_id=2), False),  # one resident: in order
        (update_from(5), update_from(6), True),  # two residents
        (update_from(90, GROUP), update_from(91, GROUP), True),  # two staff in one group
        (update_from(90, GROUP), update_from(90, GROUP, update_id=2), False),  # one of them
        (update_from(90, GROUP), update_from(90), True),  # the same person elsewhere
    ],
)
async def test_order_is_kept_per_person_and_chat(
    first: Update, second: Update, at_once: bool
) -> None:
    assert await overlapped(first, second) is at_once


async def test_idle_chats_are_forgotten() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=4)

    async def nothing() -> None:
        return None

    for user in range(50):
        await processor.process_update(update_from(user), nothing())
    assert processor._locks == {} and processor._waiting == {}
