"""What the classifier answers: the chosen category, its urgency, kind and alternatives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scored:
    """A category with its share of the evidence (0..1, comparable within one result)."""

    category: str
    score: float


@dataclass(frozen=True)
class Classification:
    """The classifier's proposal for one resident message.

    Attributes:
        category: a key of ``config.categories``; ``"overig"`` when nothing matches.
        urgency: ``"normal"``, ``"urgent"`` or ``"crisis"``.
        kind: ``"hulpvraag"``, ``"aanbod"``, ``"informatie"``, ``"signaal"`` or ``"follow_up"``.
        queue: the category's default queue; None means the wijkteam of the village.
        alternatives: up to three categories, the chosen one first, best first.
        crisis: the safety line that applies (``"acute"``, ``"suicide"``,
            ``"domestic_violence"``) when urgency is urgent or crisis; else None.
        rules: names of the crisis/urgent rules that fired (for explanations, never text).
        lines: every safety line that applies, most severe first (``crisis`` is the first):
            a threat with a knife at home is ``("acute", "domestic_violence")``.
        risk: the safety layer's verdict: ``"high"`` (crisis: numbers and alert at once),
            ``"possible"`` (ask the resident, mark urgent; ``crisis`` names the line to
            ask about) or ``"none"``.
    """

    category: str
    urgency: str
    kind: str
    queue: str | None
    alternatives: tuple[Scored, ...]
    crisis: str | None = None
    rules: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    risk: str = "none"
