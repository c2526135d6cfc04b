"""The long-lived services every handler needs, and the typed context that carries them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from flows.business_hours import OpeningHours
from flows.cards import Cards
from flows.config import FlowConfig
from flows.intake import IntakeContext
from flows.texts import Texts
from flows.triage import Classifier
from helpline.settings import Settings
from helpline.staff_directory import StaffDirectory
from storage.db import Database
from storage.leader import LeaderLock

if TYPE_CHECKING:
    from helpline.dispatcher import Dispatcher

Clock = Callable[[], datetime]


@dataclass
class Services:
    """Created once in ``build_application``; closed in ``post_shutdown``."""

    settings: Settings
    db: Database
    config: FlowConfig
    texts: Texts
    classifier: Classifier
    intake: IntakeContext
    cards: Cards
    clock: Clock
    dispatcher: Dispatcher
    hours: OpeningHours
    leader: LeaderLock
    staff: StaffDirectory = field(init=False)

    def __post_init__(self) -> None:
        self.staff = StaffDirectory(self.db)

    @property
    def staff_language(self) -> str:
        """Staff texts use the line's default language."""
        return self.settings.default_language


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
