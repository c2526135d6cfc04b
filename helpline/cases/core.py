"""The long-lived services every use case needs, without anything of Telegram.

``Services`` is created once at start-up (``helpline.app.build_application``) and passed
to every use case; the Telegram edge reaches it through ``helpline.services``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:  # the edge that delivers the outbox; use cases only write to it
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
