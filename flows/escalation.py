"""When an unclaimed request escalates: first a reminder to its queue, then the coordinator.

Normal and urgent limits count opening hours (a request that comes in on Friday
evening is not "late" on Saturday); crisis limits count wall-clock time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flows.business_hours import OpeningHours

STAGES = ("reminder", "coordinator")


def escalation_times(
    *, created_at: datetime, urgency: str, minutes: dict[str, int], hours: OpeningHours
) -> list[tuple[str, datetime]]:
    """The (stage, due time) pairs for a new request.

    Each stage is one limit after the previous one. When no opening hours are
    configured, business time falls back to wall-clock time rather than never.
    """
    limit = timedelta(minutes=minutes.get(urgency, minutes["normal"]))
    result = []
    due = created_at
    for stage in STAGES:
        business = None if urgency == "crisis" else hours.add(due, limit)
        due = business or due + limit
        result.append((stage, due))
    return result
