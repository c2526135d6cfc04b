"""The classifier's decisions once the evidence is in: the category and the safety verdict.

Pure functions over what the rules found and what the model predicted, so each decision
reads on its own: which category wins the blend, and whether a message gets the crisis
reply, the check question, or neither.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flows.triage.model import Prediction
from flows.triage.result import Scored
from flows.triage.rules import Rule

FALLBACK = "overig"


def rules_category(
    scores: Mapping[str, float], order: Mapping[str, int], min_score: float
) -> tuple[str, tuple[Scored, ...]]:
    """The rules' own category (no model): the best score when it is high enough, else
    ``overig``; the chosen category first, then the runners-up, as shares of all evidence.
    """
    ranked = sorted((c for c, s in scores.items() if s > 0), key=lambda c: (-scores[c], order[c]))
    top = ranked[0] if ranked else None
    category = top if top and scores[top] >= min_score else FALLBACK
    if category == FALLBACK:
        # Too little evidence: "overig" leads with the threshold as its weight.
        scores = {**scores, FALLBACK: min_score}
        ranked = [FALLBACK, *ranked]
    total = sum(scores[c] for c in ranked) or 1.0
    return category, tuple(Scored(c, round(scores[c] / total, 3)) for c in ranked[:3])


def blend(
    shares: Mapping[str, float],
    predicted: Prediction,
    order: Mapping[str, int],
    rules_weight: float,
) -> tuple[str, tuple[Scored, ...]]:
    """The category from rules and model together: a weighted sum of their shares.

    Args:
        shares: the rules' category shares (empty when they found too little to propose).
        predicted: the model's probabilities.
        order: each category's position in categories.toml.
        rules_weight: the rules' weight in the sum (the model has the rest).
    """
    keep = 1 - rules_weight
    blended = [keep * p for p in predicted.probabilities]
    for category, share in shares.items():
        blended[order[category]] += rules_weight * share
    # Best first; on a tie the category listed first in categories.toml (a stable sort).
    ranked = sorted(range(len(blended)), key=blended.__getitem__, reverse=True)[:3]
    names = predicted.categories
    return names[ranked[0]], tuple(Scored(names[i], round(blended[i], 3)) for i in ranked)


def safety(
    fired: Sequence[Rule],
    signs: Sequence[str],
    predicted: Prediction | None,
    thresholds: Mapping[str, float],
) -> tuple[str, str | None]:
    """The safety layer: ``high``, ``possible`` or ``none``, and its safety line.

    With a model, the model decides, having seen what the rules found. A crisis rule
    still always counts: it gives ``high`` (its line from the rule). Only a rule marked
    ``ask_when_doubted`` in triage.toml gives ``possible`` instead when the model finds
    the message very unlikely to be a crisis ("I had suicidal thoughts years ago, I'm
    fine now"): the resident is asked, never ignored. An indirect sign of danger
    ([risk] in triage.toml: "niemand zou me missen") gives at least ``possible`` under
    the same condition. Without a model, a crisis rule gives ``high`` and an indirect
    sign ``possible``.

    Args:
        fired: the crisis and urgent rules that fired.
        signs: the safety lines whose indirect signs the message has.
        predicted: the model's probabilities, or None without a model.
        thresholds: ``crisis_high``, ``crisis_possible`` and ``rule_veto``.
    """
    ruled = [rule for rule in fired if rule.urgency == "crisis"]
    # Danger now before a wish to die: "acute" is asked about first.
    sign_line = "acute" if "acute" in signs else (signs[0] if signs else None)
    if predicted is None:
        if ruled:
            return "high", None
        return ("possible", sign_line) if signs else ("none", None)
    crisis = predicted.crisis
    doubted = crisis < thresholds["rule_veto"]
    if ruled:
        if not doubted or not all(rule.ask_when_doubted for rule in ruled):
            return "high", None
        return "possible", ruled[0].line or "acute"
    suicide, acute = predicted.risks[2:]
    line = "suicide" if suicide >= acute else "acute"
    if crisis >= thresholds["crisis_high"]:
        return "high", line
    if crisis >= thresholds["crisis_possible"]:
        return "possible", line
    if signs and not doubted:
        return "possible", sign_line
    return "none", None
