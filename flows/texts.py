"""Rendering the configured texts in the resident's language."""

from __future__ import annotations

import string
from datetime import datetime
from typing import Any

from flows.config import FlowConfig

# Marks that end a sentence. A value that already ends in one (an organisation called
# "HeusdenHelpt!", a first name typed as "Anna.") takes the place of the template's own
# full stop, so "Dit is {org_name}." never reads "Dit is HeusdenHelpt!.".
SENTENCE_ENDS = (".", "!", "?", "…")


class _Filler(string.Formatter):
    """``str.format`` that drops a template's full stop right after a value ending a sentence."""

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        """``format_string`` with its fields filled in, without a doubled sentence mark."""
        parts: list[str] = []
        value = ""
        for literal, field, spec, conversion in self.parse(format_string):
            # A single "." is the template's full stop; ".." or "..." is an ellipsis, kept.
            if value.endswith(SENTENCE_ENDS) and literal[:1] == "." and literal[1:2] != ".":
                literal = literal[1:]
            parts.append(literal)
            value = ""
            if field is None:
                continue
            obj, _ = self.get_field(field, args, kwargs)
            if conversion:
                obj = self.convert_field(obj, conversion)
            if spec and "{" in spec:
                spec = self.vformat(spec, args, kwargs)
            value = self.format_field(obj, spec or "")
            parts.append(value)
        return "".join(parts)


_FILLER = _Filler()


def fill(template: str, **values: Any) -> str:
    """``template.format(**values)``, but never "HeusdenHelpt!." or "Anna.." after a value."""
    return _FILLER.vformat(template, (), values)


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
        return fill(template, **self._org, **values)


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
