"""Routing: which queue takes a request."""

from __future__ import annotations

from flows.config import FlowConfig


def route(config: FlowConfig, *, category: str, village: str | None, urgency: str) -> str:
    """Chooses the queue for a request.

    Crisis goes to the crisis queue; a category with its own queue (practical help,
    belmaatjes, offers) goes there; everything else to the wijkteam of the village,
    or to the triage queue when the village is unknown.
    """
    if urgency == "crisis":
        return config.crisis_queue
    known = config.categories.get(category)
    if known is not None and known.queue is not None:
        return known.queue
    place = config.villages.get(village or "")
    return place.queue if place is not None else config.triage_queue
