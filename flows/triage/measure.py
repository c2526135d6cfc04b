"""Measuring a classifier on a labelled corpus: how often its category is right, how many
crises it catches and how many normal messages it alarms.

Offline only (``helpline triage retrain`` and the classifier benchmark); only counts are
kept, never a message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flows.triage.corpus import Example
from flows.triage.result import Classification


@dataclass(frozen=True)
class Figures:
    """How a classifier did on a labelled corpus (counts, so nothing is rounded away)."""

    total: int
    top1: int
    top3: int
    crisis: int
    crisis_high: int
    crisis_caught: int  # high or possible
    normal: int
    normal_high: int
    normal_possible: int
    confusion: Counter[tuple[str, str]]

    def rate(self, part: int, whole: int) -> float:
        """``part / whole``, 0 for an empty whole."""
        return part / whole if whole else 0.0

    def summary(self) -> dict[str, float | int]:
        """The figures as plain numbers (for JSON output and comparisons)."""
        return {
            "messages": self.total,
            "top1": round(self.rate(self.top1, self.total), 4),
            "top3": round(self.rate(self.top3, self.total), 4),
            "crisis": self.crisis,
            "crisis_recall_high": round(self.rate(self.crisis_high, self.crisis), 4),
            "crisis_recall_caught": round(self.rate(self.crisis_caught, self.crisis), 4),
            "normal": self.normal,
            "high_on_normal": round(self.rate(self.normal_high, self.normal), 4),
            "possible_on_normal": round(self.rate(self.normal_possible, self.normal), 4),
        }

    def no_worse_than(self, other: Figures) -> bool:
        """True when no target figure is worse than ``other``'s (crisis first)."""
        mine, theirs = self.summary(), other.summary()
        return (
            mine["crisis_recall_caught"] >= theirs["crisis_recall_caught"]
            and mine["top1"] >= theirs["top1"]
            and mine["top3"] >= theirs["top3"]
            and mine["high_on_normal"] <= max(theirs["high_on_normal"], 0.02)
            and mine["possible_on_normal"] <= max(theirs["possible_on_normal"], 0.05)
        )


def evaluate(classify: Callable[[str], Classification], examples: Sequence[Example]) -> Figures:
    """Runs the classifier over a corpus and counts its hits; never keeps a message."""
    top1 = top3 = crisis = high = caught = normal = normal_high = normal_possible = 0
    confusion: Counter[tuple[str, str]] = Counter()
    for example in examples:
        result = classify(example.text)
        category, risk = result.category, result.risk
        top = [s.category for s in result.alternatives]
        top1 += category == example.category
        top3 += example.category in top[:3]
        if category != example.category:
            confusion[(example.category, category)] += 1
        if example.urgency == "crisis":
            crisis += 1
            high += risk == "high"
            caught += risk in ("high", "possible")
        elif example.urgency == "normal":
            normal += 1
            normal_high += risk == "high"
            normal_possible += risk == "possible"
    return Figures(
        len(examples),
        top1,
        top3,
        crisis,
        high,
        caught,
        normal,
        normal_high,
        normal_possible,
        confusion,
    )
