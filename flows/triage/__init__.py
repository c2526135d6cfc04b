"""Triage: categorise a resident's message and detect a crisis.

A first, explainable keyword classifier. ``Classifier(config)`` precomputes the
keyword tables; ``classify(text)`` never raises.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flows.config import FlowConfig


@dataclass(frozen=True)
class Scored:
    """A category with its score (0..1, comparable within one result)."""

    category: str
    score: float


@dataclass(frozen=True)
class Classification:
    """The classifier's verdict on one message."""

    category: str
    urgency: str
    kind: str
    queue: str | None
    alternatives: tuple[Scored, ...]
    crisis: str | None


_KEYWORDS: dict[str, tuple[str, ...]] = {
    "praatje": ("praatje", "kletsen", "babbel", "praten", "chat", "talk"),
    "eenzaamheid": ("eenzaam", "alleen", "niemand", "bellen", "lonely", "alone"),
    "boodschappen": ("boodschap", "supermarkt", "winkel", "groceries", "shopping"),
    "medicijnen": ("medicijn", "apotheek", "pillen", "medicine", "pharmacy"),
    "huisdier": ("hond", "kat", "uitlaten", "huisdier", "dog", "cat", "pet"),
    "vervoer": ("vervoer", "rijden", "lift", "ziekenhuis", "afspraak", "transport", "ride"),
    "klussen": ("klus", "tuin", "lamp", "afval", "container", "garden", "repair"),
    "maaltijd": ("maaltijd", "eten", "koken", "meal", "cook"),
    "geldzaken": ("geld", "schuld", "rekening", "voedselbank", "money", "debt", "bills"),
    "formulieren": ("formulier", "brief", "digid", "computer", "belasting", "form", "letter"),
    "mantelzorg": ("mantelzorg", "zorg voor mijn", "overbelast", "carer"),
    "psychisch": ("somber", "angst", "depressie", "paniek", "anxious", "depressed"),
    "zorg": ("thuiszorg", "rollator", "wmo", "dementie", "gevallen", "care"),
    "wonen_buren": ("buren", "buurman", "overlast", "woning", "huis", "neighbour"),
    "opvoeding": ("kind", "zoon", "dochter", "puber", "opvoeding", "parenting"),
    "huiselijk_geweld": ("slaat", "geweld", "bedreigt", "stalkt", "abuse", "violence"),
    "hulpaanbod": ("vrijwilliger", "wil helpen", "volunteer", "help others"),
}
_CRISIS: dict[str, tuple[str, ...]] = {
    "suicide": (
        "niet meer leven",
        "einde aan maken",
        "zelfmoord",
        "dood willen",
        "suicide",
        "kill myself",
        "end my life",
    ),
    "acute": (
        "ligt op de grond",
        "reageert niet",
        "bewusteloos",
        "niet meer wakker",
        "unconscious",
        "not breathing",
    ),
    "domestic_violence": ("slaat me", "vermoorden", "mes", "kills me", "hits me"),
}


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"\s+", " ", "".join(c for c in folded if not unicodedata.combining(c)))


class Classifier:
    """Keyword-based classifier over the configured categories."""

    def __init__(self, config: FlowConfig) -> None:
        self.config = config
        self.keywords = {k: v for k, v in _KEYWORDS.items() if k in config.categories}

    def classify(self, text: str) -> Classification:
        """Categorises ``text``; never raises."""
        normal = _normalise(text if isinstance(text, str) else "")
        crisis = next(
            (kind for kind, phrases in _CRISIS.items() if any(p in normal for p in phrases)),
            None,
        )
        scores = {key: sum(1 for w in words if w in normal) for key, words in self.keywords.items()}
        ranked = sorted(((s, k) for k, s in scores.items() if s > 0), reverse=True)
        top = sum(s for s, _ in ranked) or 1
        alternatives = tuple(Scored(k, round(s / top, 3)) for s, k in ranked[:3])
        category = alternatives[0].category if alternatives else "overig"
        if crisis == "suicide":
            category = "psychisch"
        elif crisis == "domestic_violence":
            category = "huiselijk_geweld"
        known = self.config.categories[category]
        urgency = "crisis" if crisis else known.urgency
        return Classification(category, urgency, known.kind, known.queue, alternatives, crisis)
