"""The long-lived services every handler needs, and the typed context that carries them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
from storage import repository as repo
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
        """Whether this Telegram user is active staff; looked up once per update.

        A private message passes several handlers that ask (call prompts, the staff relay
        and intake). The context lives for one update, so residents, most of the
        traffic, cost one lookup instead of one each (bench/bench_throughput.py).
        """
        known: dict[int, bool] = self.__dict__.setdefault("_staff_ids", {})
        if telegram_user_id not in known:
            async with self.services.db.session() as session:
                staff = await repo.get_staff(session=session, telegram_user_id=telegram_user_id)
            known[telegram_user_id] = staff is not None
        return known[telegram_user_id]


HelplineApp = Application[
    ExtBot[None], HelplineContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]
