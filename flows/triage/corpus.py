"""Labelled messages for training and measuring triage (JSON Lines files).

One object per line: ``text``, ``category``, ``urgency`` (normal, urgent, crisis),
``kind`` and, for urgent and crisis messages, ``line`` (suicide, acute or
domestic_violence). Older files without ``line`` get it from the category.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flows.errors import CorpusError
from flows.urgency import URGENCIES

LINES = ("suicide", "acute", "domestic_violence")


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    text: str
    category: str
    urgency: str
    kind: str
    line: str | None = None

    @property
    def risk(self) -> str:
        """The risk class the model learns: none, domestic_violence, suicide or acute."""
        if self.urgency == "crisis":
            if self.line in ("suicide", "acute"):
                return self.line
            return "suicide" if self.category == "psychisch" else "acute"
        if self.urgency == "urgent":
            return "domestic_violence"
        return "none"


def read(path: Path, categories: Iterable[str]) -> list[Example]:
    """Reads one corpus file, checking every line against the known categories.

    Raises:
        CorpusError: a line that is not JSON or has an unknown label.
    """
    known = set(categories)
    examples: list[Example] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path.name}: cannot be read ({type(exc).__name__})") from None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            item = json.loads(raw)
        except json.JSONDecodeError:
            raise CorpusError(f"{where}: not a JSON object") from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise CorpusError(f"{where}: needs a text")
        if item.get("category") not in known:
            raise CorpusError(f"{where}: unknown category")
        if item.get("urgency", "normal") not in URGENCIES:
            raise CorpusError(f"{where}: unknown urgency")
        line = item.get("line")
        if line is not None and line not in LINES:
            raise CorpusError(f"{where}: unknown line")
        examples.append(
            Example(
                text=item["text"],
                category=item["category"],
                urgency=item.get("urgency", "normal"),
                kind=item.get("kind", "hulpvraag"),
                line=line,
            )
        )
    return examples


def read_all(paths: Iterable[Path], categories: Iterable[str]) -> list[Example]:
    """Reads several corpus files (a folder stands for its ``*.jsonl`` files, sorted)."""
    names = list(categories)
    examples: list[Example] = []
    for path in paths:
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for file in files:
            examples += read(file, names)
    return examples
