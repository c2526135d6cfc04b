"""Test helpers for the pure flows: a configurable stand-in classifier."""

from __future__ import annotations

from dataclasses import dataclass

from flows.config import FlowConfig, load_config
from flows.intake import IntakeContext
from flows.texts import Texts


@dataclass(frozen=True)
class Scored:
    category: str
    score: float


@dataclass(frozen=True)
class Result:
    category: str
    urgency: str = "normal"
    kind: str = "hulpvraag"
    queue: str | None = None
    alternatives: tuple[Scored, ...] = ()
    crisis: str | None = None


def fixed_classifier(category: str, *alternatives: str, urgency: str = "normal"):  # type: ignore[no-untyped-def]
    """A classifier that always answers ``category`` with the given alternatives."""
    scored = (Scored(category, 0.9), *(Scored(a, 0.5) for a in alternatives))

    def classify(_text: str) -> Result:
        return Result(category, urgency=urgency, alternatives=scored)

    return classify


def context(classify=None, config: FlowConfig | None = None) -> IntakeContext:  # type: ignore[no-untyped-def]
    """An intake context on the default Heusden configuration."""
    config = config or load_config()
    return IntakeContext(config, Texts(config), classify or fixed_classifier("boodschappen"))
