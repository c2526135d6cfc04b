"""What a resident reads when a message may mean danger: the safety replies and the check
question, with the numbers of the line's safety services (organisation.toml [safety])."""

from __future__ import annotations

from flows.conversation import Button
from flows.texts import Texts
from flows.triage import Classification

# The safety reply of each safety line (organisation.toml [safety]) in a crisis.
SAFETY_TEXT = {
    "acute": "crisis_acute",
    "suicide": "crisis_suicide",
    "domestic_violence": "crisis_violence",
}
# Urgent, not acute: the line still gets its number at once (Veilig Thuis).
URGENT_TEXT = {"domestic_violence": "urgent_violence"}
# A further line that applies besides the first (violence at home, acute).
ALSO_TEXT = {"domestic_violence": "safety_also_violence"}
# Possible danger: a kind question, with the numbers in the same message.
CHECK_TEXT = {"suicide": "risk_check_suicide", "acute": "risk_check_acute"}


def check_buttons(t: Texts, lang: str) -> tuple[tuple[Button, ...], ...]:
    """The buttons under the check question: Ja, and Nee, dat niet."""
    return (
        (Button(t("btn_risk_yes", lang), "risk:yes:0"),),
        (Button(t("btn_risk_no", lang), "risk:no:0"),),
    )


def has_urgent_text(result: Classification) -> bool:
    """True when an urgent (not acute) message has a safety reply of its own."""
    return result.crisis in URGENT_TEXT


def safety_text(t: Texts, result: Classification, lang: str) -> str:
    """The safety reply: the first line's numbers, and a further line's when it applies.

    For a possible danger it is the check question, with the numbers in it.
    """
    first = result.crisis or "acute"
    if result.risk == "possible":
        table = CHECK_TEXT
    else:
        table = SAFETY_TEXT if result.urgency == "crisis" else URGENT_TEXT
    text = t(table.get(first, "crisis_acute"), lang)
    for line in result.lines[1:]:
        if line in ALSO_TEXT:
            text += "\n\n" + t(ALSO_TEXT[line], lang)
    return text


def needs_safety_reply(result: Classification) -> bool:
    """Whether a resident's message gets a safety reply before anything else: a possible
    danger (the resident is asked), a crisis, or an urgent message with a safety line of
    its own (domestic violence: Veilig Thuis)."""
    if result.risk != "none" or result.urgency == "crisis":
        return True
    return result.urgency == "urgent" and has_urgent_text(result)
