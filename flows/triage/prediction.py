"""What the triage model says about one message: a probability per category and per
risk class, the risk classes themselves, and the step from raw scores to probabilities."""

from __future__ import annotations

import math
from dataclasses import dataclass

RISK_CLASSES = ("none", "domestic_violence", "suicide", "acute")
CRISIS_LINES = ("suicide", "acute")  # the last two risk classes


@dataclass(frozen=True)
class Prediction:
    """The model's probabilities for one message.

    Attributes:
        categories: the category keys, in the model's (the configuration's) order.
        probabilities: per category, its probability, in that order.
        risks: per risk class (``RISK_CLASSES``), its probability.
    """

    categories: tuple[str, ...]
    probabilities: list[float]
    risks: list[float]

    @property
    def category(self) -> dict[str, float]:
        """Probability per category key."""
        return dict(zip(self.categories, self.probabilities, strict=True))

    @property
    def risk(self) -> dict[str, float]:
        """Probability per risk class."""
        return dict(zip(RISK_CLASSES, self.risks, strict=True))

    @property
    def crisis(self) -> float:
        """Probability that the message is a crisis (any crisis line)."""
        return self.risks[2] + self.risks[3]


def softmax(scores: list[float]) -> list[float]:
    """Probabilities from one head's raw scores (shifted by the highest, so none overflows)."""
    top = max(scores)
    shifted = [math.exp(score - top) for score in scores]
    total = sum(shifted)
    return [value / total for value in shifted]
