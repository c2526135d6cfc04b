"""How urgent a question is, in one order: normal, urgent, crisis.

Stored and configured as these plain strings; everything that compares two urgencies
(the most urgent of the category and the message, the queue's order) uses this order.
"""

from __future__ import annotations

from enum import StrEnum


class Urgency(StrEnum):
    """Least urgent first."""

    normal = "normal"
    urgent = "urgent"  # picked up today: domestic violence not happening now, no food left
    crisis = "crisis"  # a life in danger now: the safety numbers and the coordinators


URGENCIES = tuple(u.value for u in Urgency)
_RANK = {u.value: rank for rank, u in enumerate(Urgency)}


def severity(urgency: str) -> int:
    """0 for normal, 1 for urgent, 2 for crisis.

    Raises:
        KeyError: an unknown urgency.
    """
    return _RANK[urgency]


def most_urgent(*urgencies: str) -> str:
    """The most urgent of several (the first of equals)."""
    return max(urgencies, key=_RANK.__getitem__)
