"""Driving the real application through the fake Bot API, one update at a time.

Used by ``helpline demo`` and by the tests: updates go through
``Application.process_update`` (the same handlers, database and outbox as in
production) and the dispatcher is run after each step so queue cards appear.
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from helpline.cases.core import Services
from helpline.services import SERVICES_KEY, HelplineApp
from helpline.testing import FakeTelegram, FakeUser


class ScriptedChat:
    """One person talking to the bot: send text, press a button by its label, share a contact."""

    def __init__(self, app: HelplineApp, telegram: FakeTelegram, user: FakeUser) -> None:
        self.app, self.telegram, self.user = app, telegram, user

    @property
    def services(self) -> Services:
        """The application's services."""
        services: Services = self.app.bot_data[SERVICES_KEY]
        return services

    async def feed(self, raw: dict[str, Any]) -> None:
        """Processes one raw update and delivers the outbox."""
        await self.app.process_update(Update.de_json(raw, self.app.bot))
        await self.services.dispatcher.run_once(self.app.bot)

    async def say(self, text: str) -> None:
        """The user sends a text message in their private chat."""
        await self.feed(self.telegram.text(self.user, text, queue=False))

    async def share_contact(self, phone: str) -> None:
        """The user shares their own phone number with the contact button."""
        await self.feed(self.telegram.contact(self.user, phone, queue=False))

    async def press(self, label: str, *, chat_id: int | None = None) -> None:
        """Presses the newest button whose label contains ``label`` in the chat."""
        message, data = find_button(self.telegram, chat_id or self.user.id, label)
        await self.feed(self.telegram.press(self.user, message, data, queue=False))

    def last_text(self, chat_id: int | None = None) -> str:
        """The text of the newest message the bot sent in this chat."""
        return str(self.telegram.last_sent(chat_id or self.user.id).get("text", ""))


def find_button(telegram: FakeTelegram, chat_id: int, label: str) -> tuple[dict[str, Any], str]:
    """The newest message in ``chat_id`` with an inline button labelled ``label``, and its data."""
    for message in reversed(telegram.sent(chat_id)):
        markup = message.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if label.casefold() in button.get("text", "").casefold():
                    return message, button["callback_data"]
    raise AssertionError(f"no button {label!r} in chat {chat_id}")
