"""Rendering the configured texts in the resident's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.config import FlowConfig


class Texts:
    """Looks up ``texts.toml`` entries and fills in their placeholders."""

    def __init__(self, config: FlowConfig) -> None:
        self._texts = config.texts
        self._org = {"org_name": config.organisation.name, "org_phone": config.organisation.phone}

    def __call__(self, key: str, lang: str, **values: Any) -> str:
        """The text ``key`` in ``lang`` (Dutch when missing) with ``values`` filled in."""
        entry = self._texts.get(key)
        if entry is None:
            raise KeyError(f"texts.toml has no [{key}]")
        template = entry.get(lang) or entry["nl"]
        return template.format(**self._org, **values)


def moment_text(texts: Texts, lang: str, local: datetime) -> str:
    """A local time in plain words: ``maandag 4 mei om 09:00``."""
    weekdays = texts("weekday_names", lang).split(",")
    months = texts("month_names", lang).split(",")
    return texts(
        "moment",
        lang,
        weekday=weekdays[local.weekday()],
        day=local.day,
        month=months[local.month - 1],
        time=local.strftime("%H:%M"),
    )
