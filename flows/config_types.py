"""The validated flows configuration as data: the organisation, categories, villages, places.

``flows.config.load_config`` reads them from the TOML files and checks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")
KINDS = ("hulpvraag", "aanbod", "informatie", "signaal", "follow_up")


@dataclass(frozen=True)
class Category:
    """A question category with its labels, default queue (None = village team) and kind."""

    key: str
    labels: dict[str, str]
    descriptions: dict[str, str]
    queue: str | None
    kind: str = "hulpvraag"
    urgency: str = "normal"

    def label(self, lang: str) -> str:
        """Returns the label in ``lang``, falling back to Dutch."""
        return self.labels.get(lang) or self.labels["nl"]


@dataclass(frozen=True)
class Village:
    """A village (kern) and the wijkteam queue that serves it."""

    key: str
    name: str
    queue: str


@dataclass(frozen=True)
class Place:
    """A named thing with a key: a walk-in location or a partner organisation."""

    key: str
    name: str
    village: str | None = None


@dataclass(frozen=True)
class Organisation:
    """The organisation that runs the line."""

    name: str
    phone: str
    reference_prefix: str
    default_language: str
    privacy_version: str
    safety: dict[str, str]


@dataclass(frozen=True)
class FlowConfig:
    """The whole validated configuration of one line."""

    directory: Path
    organisation: Organisation
    categories: dict[str, Category]
    queues: dict[str, dict[str, str]]
    villages: dict[str, Village]
    locations: dict[str, Place]
    partners: dict[str, Place]
    triage_queue: str
    crisis_queue: str
    texts: dict[str, dict[str, str]]
    triage: dict[str, Any] = field(default_factory=dict)
    opening_hours: dict[str, Any] = field(default_factory=dict)
    escalation_minutes: dict[str, int] = field(default_factory=dict)
    queue_escalation: dict[str, dict[str, int]] = field(default_factory=dict)
    outcomes: dict[str, dict[str, str]] = field(default_factory=dict)

    def queue_label(self, queue: str, lang: str = "nl") -> str:
        """Returns the human name of a queue."""
        labels = self.queues.get(queue, {})
        return labels.get(lang) or labels.get("nl") or queue

    def escalation_for(self, queue: str) -> dict[str, int]:
        """Escalation limits (minutes per urgency) of a queue: its own, else the defaults."""
        return {**self.escalation_minutes, **self.queue_escalation.get(queue, {})}

    def outcome_label(self, outcome: str, lang: str = "nl") -> str:
        """The human name of an outcome."""
        labels = self.outcomes.get(outcome, {})
        return labels.get(lang) or labels.get("nl") or outcome

    def village_by_name(self, name: str) -> Village | None:
        """Finds a village by key or name, case-insensitively."""
        wanted = name.strip().casefold()
        for village in self.villages.values():
            if wanted in (village.key, village.name.casefold()):
                return village
        return None
