"""Labelled messages for training and measuring triage (JSON Lines files).

One object per line: ``text``, ``category``, ``urgency`` (normal, urgent, crisis),
``kind`` and, for urgent and crisis messages, ``line`` (suicide, acute or
domestic_violence). Older files without ``line`` get it from the category.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from flows.errors import CorpusError
from flows.urgency import URGENCIES

if TYPE_CHECKING:
    from flows.config import FlowConfig

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


TRAINING_DIR = "triage_data"
# Corpus files the rules were written with in view: not used to weigh rules against model.
SEEN_BY_RULES = "rules_"
# What the corpus says of its own files (``alarming_normals``: files whose normal
# messages were written to sound alarming, so not everyday traffic).
CORPUS_NOTES = "corpus.toml"


class LineCorpus(NamedTuple):
    """A flows directory's training corpus, with two facts per example."""

    examples: list[Example]
    unseen: list[bool]  # the rules' author never read it
    everyday: list[bool]  # like a line's everyday traffic


def line_corpus(config: FlowConfig) -> LineCorpus:
    """The training corpus shipped with a flows directory.

    Raises:
        CorpusError: a corpus file or ``corpus.toml`` is malformed.
    """
    folder = config.directory / TRAINING_DIR
    alarming = _alarming_normals(folder / CORPUS_NOTES)
    corpus = LineCorpus([], [], [])
    for path in sorted(folder.glob("*.jsonl")):
        part = read(path, config.categories)
        corpus.examples.extend(part)
        corpus.unseen.extend([not path.name.startswith(SEEN_BY_RULES)] * len(part))
        corpus.everyday.extend([path.stem not in alarming] * len(part))
    return corpus


def _alarming_normals(path: Path) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    try:
        names = tomllib.loads(path.read_text(encoding="utf-8")).get("alarming_normals", [])
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: {exc}") from exc
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise CorpusError(f"{path}: alarming_normals must be a list of file names")
    return frozenset(names)
