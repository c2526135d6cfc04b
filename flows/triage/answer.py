"""The classifier's answer for one message, put together once category, risk and kind
are decided: its urgency and safety lines are the most severe of the rules that fired,
the risk and the category."""

from __future__ import annotations

from collections.abc import Mapping

from flows.config import FlowConfig
from flows.triage.result import Classification, Scored
from flows.triage.rules import Rule
from flows.urgency import severity

RISK_URGENCY = {"none": "normal", "possible": "urgent", "high": "crisis"}


def answer(
    config: FlowConfig,
    category_lines: Mapping[str, str],
    category: str,
    fired: list[Rule],
    risk: str = "none",
    line: str | None = None,
    kind: str | None = None,
    alternatives: tuple[Scored, ...] | None = None,
) -> Classification:
    """The answer: urgency and safety lines are the most severe of the rules, the risk
    and the category; kind and alternatives default to the category's own.

    Args:
        config: the flows configuration (the category's urgency, kind and queue).
        category_lines: per category, its own safety line (its ``line`` in triage.toml).
        category: the chosen category.
        fired: the crisis and urgent rules that fired.
        risk: the safety layer's verdict.
        line: the safety line the model or an overruled rule points to.
        kind: the message's kind, when it is not the category's own.
        alternatives: the categories to offer, the chosen one first.
    """
    chosen = config.categories[category]
    # A crisis rule the model overruled (risk "possible") does not make a crisis.
    counted = [r for r in fired if risk == "high" or r.urgency != "crisis"]
    urgency = max(
        [chosen.urgency, RISK_URGENCY[risk], *(r.urgency for r in counted)],
        key=severity,
    )
    lines: list[str] = []
    if urgency != "normal":
        found = [r.line for r in sorted(counted, key=lambda r: -severity(r.urgency)) if r.line]
        if line is not None:  # the model's or an overruled rule's line: it leads
            found.insert(0, line)
        # The category's own line (Veilig Thuis for domestic violence) applies too.
        found.append(category_lines.get(category) or "")
        lines = [line for line in dict.fromkeys(found) if line]
    return Classification(
        category=category,
        urgency=urgency,
        kind=kind or chosen.kind,
        queue=chosen.queue,
        alternatives=alternatives or (Scored(category, 1.0),),
        crisis=lines[0] if lines else None,
        rules=tuple(r.name for r in fired),
        lines=tuple(lines),
        risk=risk,
    )
