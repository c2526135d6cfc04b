"""What a finished intake becomes: the request's category, urgency, queue and village,
decided from the draft and the configuration alone (no database, no Telegram).

Both intakes end here: a resident's own (``flows.intake``) and one a staff member took
by phone, at a walk-in or from an email (``flows.phone_intake``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.config import FlowConfig
from flows.routing import route
from flows.urgency import most_urgent

FALLBACK_CATEGORY = "overig"


@dataclass(frozen=True)
class Submission:
    """The resolved request of a finished intake."""

    category: str
    urgency: str  # the category's own urgency raises the message's, never lowers it
    queue: str
    village: str | None  # a configured village key, or None when it is not one
    contact_preference: str


def resolve(
    config: FlowConfig,
    *,
    category: str | None,
    urgency: str,
    village: str | None,
    contact_preference: str,
) -> Submission:
    """Decides where a finished intake goes.

    Args:
        config: the flows configuration.
        category: the chosen category (``overig`` when none was chosen).
        urgency: the urgency found during the intake.
        village: the village the intake recorded (any text; only configured ones count).
        contact_preference: how the resident wants to be reached.
    """
    chosen = category or FALLBACK_CATEGORY
    level = most_urgent(urgency, config.categories[chosen].urgency)
    return Submission(
        category=chosen,
        urgency=level,
        queue=route(config, category=chosen, village=village, urgency=level),
        village=village if village in config.villages else None,
        contact_preference=contact_preference,
    )
