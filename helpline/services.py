"""The Telegram edge of the services: the typed callback context that carries them."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from helpline.cases.core import Services

SERVICES_KEY = "helpline.services"


class HelplineContext(
    CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]
):
    """The callback context with typed access to the services."""

    @property
    def services(self) -> Services:
        """The application's services."""
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services

    async def sender_is_staff(self, telegram_user_id: int) -> bool:
        """Whether this Telegram user is active staff, for routing a private message.

        A private message passes several handlers that ask (call prompts, the staff relay
        and intake); the staff directory answers from memory (``helpline.staff_directory``),
        so residents, most of the traffic, cost no transaction for it.
        """
        return await self.services.staff.is_staff(telegram_user_id)


HelplineApp = Application[
    ExtBot[None], HelplineContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]
