"""What the rules found in a message, in the form the learned model and its training use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flows.triage.rules import Rule


@dataclass(frozen=True)
class RuleEvidence:
    """The rules' own verdict on a message.

    Attributes:
        shares: category shares of the rules' evidence (empty: no proposal of their own).
        crisis: a crisis rule fired.
        doubtable: every crisis rule that fired may ask instead (``ask_when_doubted``).
        markers: what the model is shown of the rules' findings (``rule_markers``).
    """

    shares: dict[str, float]
    crisis: bool
    doubtable: bool
    markers: tuple[str, ...]


def rule_markers(fired: Sequence[Rule], signs: Sequence[str]) -> tuple[str, ...]:
    """The rules' findings as model features: each rule that fired, its urgency, and each
    safety line an indirect sign points to."""
    if not fired and not signs:  # nearly every message
        return ()
    found = [f"x:rule:{rule.name}" for rule in fired] + [f"x:{rule.urgency}" for rule in fired]
    return tuple(dict.fromkeys([*found, *(f"x:sign:{line}" for line in signs)]))
