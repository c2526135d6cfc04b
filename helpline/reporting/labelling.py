"""The Dutch label of every breakdown value, and the order rows are shown in.

Category, village, location, queue and outcome labels come from the flows
configuration; channel, kind, direction, new/known and period names from
``labels.toml``; staff names from the database. An empty value is "Onbekend".
"""

from __future__ import annotations

from typing import Any

from flows.config import FlowConfig
from flows.labels import Labels

_UNKNOWN_LAST = 1_000_000


class Labeller:
    """Turns (dimension, key) into a label and into a sort position."""

    def __init__(
        self, config: FlowConfig, labels: Labels, staff: dict[int, str] | None = None
    ) -> None:
        self.config = config
        self.labels = labels
        self.staff = staff or {}
        self._orders: dict[str, list[str]] = {
            "category": list(config.categories),
            "village": list(config.villages),
            "location": list(config.locations),
            "queue": list(config.queues),
            "outcome": list(config.outcomes),
            **{name: list(table) for name, table in labels.values.items()},
        }

    def header(self, dim: str) -> str:
        """The column header of a dimension (``Onderwerp``, ``Kern``...)."""
        return self.labels.dimensions.get(dim, dim)

    def __call__(self, dim: str, key: str | None) -> str:
        """The label of ``key``; the key itself when the configuration does not know it."""
        if key is None or key == "":
            return self.labels.unknown
        config, labels = self.config, self.labels
        if dim == "category":
            category = config.categories.get(key)
            return category.label("nl") if category else key
        if dim == "village":
            village = config.villages.get(key)
            return village.name if village else key
        if dim == "location":
            place = config.locations.get(key)
            return place.name if place else key
        if dim == "queue":
            return config.queue_label(key)
        if dim == "outcome":
            return config.outcome_label(key)
        if dim == "staff":
            return self.staff.get(int(key), key) if key.isdigit() else key
        if dim in ("month", "quarter", "week"):
            return self._period(dim, key)
        return labels.value(dim, key)

    def _period(self, dim: str, key: str) -> str:
        year, _, rest = key.partition("-")
        try:
            if dim == "month":
                return self.labels.month(int(year), int(rest))
            if dim == "quarter":
                return self.labels.quarter(int(year), int(rest.lstrip("Q")))
            return self.labels.week(int(year), int(rest.lstrip("W")))
        except (ValueError, IndexError):
            return key

    def sort_key(self, dim: str, key: str | None) -> tuple[Any, ...]:
        """Natural order: periods by time, configured values as configured, unknown last."""
        if key is None or key == "":
            return (_UNKNOWN_LAST, "")
        order = self._orders.get(dim)
        if order is not None and key in order:
            return (order.index(key), key)
        if dim == "staff":
            return (0, self(dim, key).casefold())
        return (len(order) if order else 0, key)
