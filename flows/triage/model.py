"""The learned part of triage: a linear model over word and character n-grams.

The rules know the phrasing they were written for; residents write in dialect, with
typos, indirectly ("efkes buurten", "mijn verhaal kwijt"). The model covers that. It is
trained offline (``flows.triage.training``) from the line's corpus and stored as plain
arrays in ``triage_model.npz`` beside triage.toml: no pickle, nothing fetched at run
time, loaded in milliseconds. Inference is a sparse dot product in NumPy.

Two heads share the features:

* ``category``: the 18 question categories;
* ``risk``: ``none``, ``domestic_violence`` (urgent), ``suicide`` and ``acute`` (crisis),
  the safety detector's learned signal.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from flows.triage.normalise import MAX_CHARS, fold, single

MODEL_FILE = "triage_model.npz"
FORMAT = 1
RISK_CLASSES = ("none", "domestic_violence", "suicide", "acute")
CRISIS_LINES = ("suicide", "acute")

_WORDS = re.compile(r"[^\W_]+")
CHAR_RANGE = (3, 5)
# Enough words for any resident message; a pasted letter says what it is about early on.
MAX_WORDS = 300


def features(text: str) -> list[str]:
    """The n-grams of a message: words, word pairs and 3-5 letter pieces of each word.

    Letter pieces make a misspelt or dialect word ("boodschapen", "efkes") share most of
    its features with the word the model knows. Used identically at training and run time.
    """
    words = [single(w) for w in _WORDS.findall(fold(text[:MAX_CHARS]))][:MAX_WORDS]
    out = [f"w:{w}" for w in words]
    out += [f"b:{a}_{b}" for a, b in pairwise(words)]
    low, high = CHAR_RANGE
    for word in words:
        padded = f" {word} "
        size = len(padded)
        for n in range(low, min(high, size) + 1):
            out += [padded[i : i + n] for i in range(size - n + 1)]
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
        self.vocabulary = {term: index for index, term in enumerate(vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.categories = tuple(categories)
        self.category_coef = np.asarray(category_coef, dtype=np.float64)
        self.category_bias = np.asarray(category_bias, dtype=np.float64)
        self.risk_coef = np.asarray(risk_coef, dtype=np.float64)
        self.risk_bias = np.asarray(risk_bias, dtype=np.float64)
        self.thresholds = dict(thresholds)

    def _vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows and their tf-idf values (sublinear tf, l2-normalised)."""
        counts: dict[int, int] = {}
        vocabulary = self.vocabulary
        for term in features(text):
            index = vocabulary.get(term)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        rows = np.fromiter(counts, dtype=np.intp, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), float, len(counts))
        values = tf * self.idf[rows]
        norm = math.sqrt(float(values @ values))
        return rows, values / norm if norm else values

    def predict(self, text: str) -> Prediction:
        """Category and risk probabilities for one message."""
        rows, values = self._vector(text)
        category = _softmax(values @ self.category_coef[rows] + self.category_bias)
        risk = _softmax(values @ self.risk_coef[rows] + self.risk_bias)
        return Prediction(
            dict(zip(self.categories, category.tolist(), strict=True)),
            dict(zip(RISK_CLASSES, risk.tolist(), strict=True)),
        )

    def save(self, path: Path) -> None:
        """Writes the model as plain arrays (``np.load`` reads it back without pickle)."""
        vocabulary = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        keys = sorted(self.thresholds)
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
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


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max())
    return shifted / shifted.sum()
