"""The learned part of triage: a linear model over word and character n-grams.

The rules know the phrasing they were written for; residents write in dialect, with
typos, indirectly ("efkes buurten", "mijn verhaal kwijt"). The model covers that. It is
trained offline (``flows.triage.training``) from the line's corpus and stored as plain
arrays in ``triage_model.npz`` beside triage.toml: no pickle, nothing fetched at run
time, loaded in milliseconds. Inference is a sparse dot product in NumPy.

Besides the words, the model sees what the rules found (``rule_markers``: a crisis rule
that fired, an indirect sign of danger from [risk] in triage.toml), so it learns how far
to trust them. Two heads share the features:

* ``category``: the 18 question categories;
* ``risk``: ``none``, ``domestic_violence`` (urgent), ``suicide`` and ``acute`` (crisis),
  the safety detector's learned signal.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from flows.config import ConfigError, FlowConfig
from flows.triage.normalise import MAX_CHARS, fold, single

MODEL_FILE = "triage_model.npz"
FORMAT = 1
RISK_CLASSES = ("none", "domestic_violence", "suicide", "acute")
CRISIS_LINES = ("suicide", "acute")

_WORDS = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?\n])\s+")
# A long message is also read in parts of about this many words: one sentence about
# ending one's life must not drown in a page about the garden.
WINDOW_WORDS = 40
CHAR_RANGE = (3, 5)
# Enough words for any resident message; a pasted letter says what it is about early on.
MAX_WORDS = 300
# Above this many cached words the cache starts afresh, so memory stays bounded.
WORD_CACHE_LIMIT = 100_000


def words_of(text: str) -> list[str]:
    """The folded words of a message, runs of a letter shortened ("hellllp" -> "help")."""
    return [single(w) for w in _WORDS.findall(fold(text[:MAX_CHARS]))][:MAX_WORDS]


def word_features(word: str) -> list[str]:
    """The features of one word: itself and its 3-5 letter pieces (with word edges)."""
    out = [f"w:{word}"]
    padded = f" {word} "
    size = len(padded)
    low, high = CHAR_RANGE
    for n in range(low, min(high, size) + 1):
        out += [padded[i : i + n] for i in range(size - n + 1)]
    return out


def features(text: str) -> list[str]:
    """The n-grams of a message: words, word pairs and 3-5 letter pieces of each word.

    Letter pieces make a misspelt or dialect word ("boodschapen", "efkes") share most of
    its features with the word the model knows. Used identically at training and run time.
    """
    words = words_of(text)
    out = [f"b:{a}_{b}" for a, b in pairwise(words)]
    for word in words:
        out += word_features(word)
    return out


@dataclass(frozen=True)
class Prediction:
    """The model's probabilities for one message."""

    category: dict[str, float]
    risk: dict[str, float]

    @property
    def crisis(self) -> float:
        """Probability that the message is a crisis (any crisis line)."""
        return sum(self.risk.get(line, 0.0) for line in CRISIS_LINES)


class TextModel:
    """A fitted model: vocabulary, idf weights and the two heads' coefficients."""

    def __init__(
        self,
        vocabulary: list[str],
        idf: np.ndarray,
        categories: list[str],
        category_coef: np.ndarray,
        category_bias: np.ndarray,
        risk_coef: np.ndarray,
        risk_bias: np.ndarray,
        thresholds: dict[str, float],
    ) -> None:
        """Takes the arrays as ``training.fit`` produces them (coefficients per feature row)."""
        # Common features first (lowest idf): the rows a message gathers then lie close
        # together in memory, which makes the per-message product markedly faster.
        order = np.argsort(np.asarray(idf), kind="stable")
        self.vocabulary = {vocabulary[old]: new for new, old in enumerate(order.tolist())}
        self.idf = np.asarray(idf, dtype=np.float64)[order]
        self.categories = tuple(categories)
        self.category_coef = np.asarray(category_coef, dtype=np.float64)[order]
        self.category_bias = np.asarray(category_bias, dtype=np.float64)
        self.risk_coef = np.asarray(risk_coef, dtype=np.float64)[order]
        self.risk_bias = np.asarray(risk_bias, dtype=np.float64)
        self.thresholds = dict(thresholds)
        # Both heads in one matrix: one gather and one product per message.
        self._coef = np.ascontiguousarray(np.hstack([self.category_coef, self.risk_coef]))
        self._bias = np.concatenate([self.category_bias, self.risk_bias])
        # Residents repeat their words: each word is shortened and looked up once.
        self._words: dict[str, tuple[str, np.ndarray]] = {}

    def _word(self, raw: str) -> tuple[str, np.ndarray]:
        """A folded word's shortened form and its feature rows (cached)."""
        known = self._words.get(raw)
        if known is None:
            if len(self._words) >= WORD_CACHE_LIMIT:
                self._words.clear()
            word = single(raw)
            found = (self.vocabulary.get(term) for term in word_features(word))
            rows = np.array([i for i in found if i is not None], dtype=np.intp)
            known = self._words[raw] = (word, rows)
        return known

    def _vector(
        self, words: Sequence[str], markers: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows and their tf-idf values (sublinear tf, l2-normalised).

        Args:
            words: the folded words of the message (``normalise.tokenize``), at most
                ``MAX_WORDS`` of them are read.
            markers: what the rules found.
        """
        vocabulary = self.vocabulary
        looked_up = [self._word(raw) for raw in words[:MAX_WORDS]]
        shortened = [word for word, _ in looked_up]
        parts = [rows for _, rows in looked_up]
        others = [
            i
            for term in (*(f"b:{a}_{b}" for a, b in pairwise(shortened)), *markers)
            if (i := vocabulary.get(term)) is not None
        ]
        if others:
            parts.append(np.array(others, dtype=np.intp))
        ordered = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
        if not ordered.size:
            return ordered, np.zeros(0)
        ordered.sort()
        size = ordered.size
        first = np.empty(size, dtype=bool)  # where a run of equal rows starts
        first[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        rows = ordered[starts]
        counts = np.empty(starts.size)
        np.subtract(starts[1:], starts[:-1], out=counts[:-1])
        counts[-1] = size - starts[-1]
        values = (1.0 + np.log(counts)) * self.idf[rows]
        norm = math.sqrt(float(values @ values))
        return rows, values / norm if norm else values

    def predict(
        self, text: str, markers: Sequence[str] = (), words: Sequence[str] | None = None
    ) -> Prediction:
        """Category and risk probabilities for one message.

        Args:
            text: the message.
            markers: what the rules found in it (``flows.triage.evidence.rule_markers``).
            words: the message's folded words when the caller has them already
                (``normalise.tokenize(text).words``); read from ``text`` otherwise.
        """
        if words is None:
            words = _WORDS.findall(fold(text[:MAX_CHARS]))
        split = len(self.categories)
        scores = self._scores(words, markers)
        category, risk = _softmax(scores[:split]), _softmax(scores[split:])
        for part in _windows(text):  # long messages only: the most dangerous part counts
            part_risk = _softmax(self._scores(_WORDS.findall(fold(part)), markers)[split:])
            if part_risk[2] + part_risk[3] > risk[2] + risk[3]:
                risk = part_risk
        return Prediction(
            dict(zip(self.categories, category, strict=True)),
            dict(zip(RISK_CLASSES, risk, strict=True)),
        )

    def _scores(self, words: Sequence[str], markers: Sequence[str]) -> list[float]:
        """Both heads' raw scores: categories first, then the risk classes."""
        rows, values = self._vector(words, markers)
        return (values @ np.take(self._coef, rows, axis=0) + self._bias).tolist()

    def save(self, path: Path) -> None:
        """Writes the model to ``path`` (see ``dumps``)."""
        path.write_bytes(self.dumps())

    def dumps(self) -> bytes:
        """The model as a compressed archive of plain arrays (no pickle: ``load`` reads it
        with ``allow_pickle=False``)."""
        vocabulary = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        keys = sorted(self.thresholds)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            format=np.array([FORMAT]),
            vocabulary=np.array(vocabulary, dtype=np.str_),
            idf=self.idf.astype(np.float32),
            categories=np.array(self.categories, dtype=np.str_),
            category_coef=self.category_coef.astype(np.float32),
            category_bias=self.category_bias.astype(np.float32),
            risk_coef=self.risk_coef.astype(np.float32),
            risk_bias=self.risk_bias.astype(np.float32),
            threshold_names=np.array(keys, dtype=np.str_),
            threshold_values=np.array([self.thresholds[k] for k in keys]),
        )
        return buffer.getvalue()

    @classmethod
    def load(cls, path: Path) -> TextModel:
        """Reads a model written by ``save``.

        Raises:
            ValueError: the file is not a triage model of this format.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format"][0]) != FORMAT:
                    raise ValueError(f"{path.name}: model format {int(data['format'][0])}")
                return cls(
                    vocabulary=[str(v) for v in data["vocabulary"]],
                    idf=data["idf"],
                    categories=[str(c) for c in data["categories"]],
                    category_coef=data["category_coef"],
                    category_bias=data["category_bias"],
                    risk_coef=data["risk_coef"],
                    risk_bias=data["risk_bias"],
                    thresholds=dict(
                        zip(
                            (str(n) for n in data["threshold_names"]),
                            (float(v) for v in data["threshold_values"]),
                            strict=True,
                        )
                    ),
                )
        except (OSError, KeyError, ValueError, EOFError) as exc:
            raise ValueError(f"{path.name}: not a readable triage model ({exc})") from None


def _windows(text: str) -> list[str]:
    """Consecutive sentences of a long message, grouped into parts of about
    ``WINDOW_WORDS`` words; empty for a message that short (nearly all of them)."""
    # More words than the window need at least a letter and a separator each.
    if len(text) <= 2 * WINDOW_WORDS or len(_WORDS.findall(text[:MAX_CHARS])) <= WINDOW_WORDS:
        return []
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in _SENTENCE_END.split(text[:MAX_CHARS]):
        words = len(_WORDS.findall(sentence))
        if current and size + words > WINDOW_WORDS:
            parts.append(" ".join(current))
            current, size = [], 0
        current.append(sentence)
        size += words
    if current:
        parts.append(" ".join(current))
    return parts if len(parts) > 1 else []


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    shifted = [math.exp(score - top) for score in scores]
    total = sum(shifted)
    return [value / total for value in shifted]


def shipped_model(config: FlowConfig) -> TextModel | None:
    """The model that comes with a flows directory, or None when it has none."""
    return installed_model(config.directory)


def installed_model(directory: Path) -> TextModel | None:
    """The model in ``directory`` (``helpline triage retrain`` installs one in the data
    directory), or None when there is none.

    Raises:
        flows.config.ConfigError: the file is there but is no readable model.
    """
    path = directory / MODEL_FILE
    if not path.is_file():
        return None
    try:
        return TextModel.load(path)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
