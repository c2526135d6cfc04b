"""The learned part of triage: a linear model over word and character n-grams.

The rules know the phrasing they were written for; residents write in dialect, with
typos, indirectly ("efkes buurten", "mijn verhaal kwijt"). The model covers that. It is
trained offline (``flows.triage.training``) from the line's corpus and stored as plain
arrays in ``triage_model.npz`` beside triage.toml: no pickle, nothing fetched at run
time, loaded in milliseconds. Inference adds up a few cached rows in NumPy.

Besides the words, the model sees what the rules found (``rule_markers``: a crisis rule
that fired, an indirect sign of danger from [risk] in triage.toml), so it learns how far
to trust them. Two heads share the features:

* ``category``: the 18 question categories;
* ``risk``: ``none``, ``domestic_violence`` (urgent), ``suicide`` and ``acute`` (crisis),
  the safety detector's learned signal.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np

from flows.config import ConfigError, FlowConfig
from flows.errors import OutdatedModel
from flows.triage.features import MAX_WORDS, WINDOW_WORDS, WORDS, features, windows, word_features
from flows.triage.normalise import MAX_CHARS, fold, single
from flows.triage.prediction import CRISIS_LINES, RISK_CLASSES, Prediction, softmax

__all__ = [
    "CRISIS_LINES",
    "FORMAT",
    "MODEL_FILE",
    "RISK_CLASSES",
    "WORD_CACHE_LIMIT",
    "OutdatedModel",
    "Prediction",
    "TextModel",
    "features",
    "installed_model",
    "shipped_model",
]

logger = logging.getLogger(__name__)

MODEL_FILE = "triage_model.npz"
FORMAT = 2
# Above this many cached words the cache starts afresh, so memory stays bounded (a few MB).
WORD_CACHE_LIMIT = 32_768


class TextModel:
    """A fitted model: vocabulary, idf weights and the two heads' coefficients.

    A message's feature vector is its feature counts times idf, divided by the square
    root of ``sum(count * idf**2)`` (``training.normalise``). Unlike the usual l2 norm,
    both the weighted sum and that normaliser are sums over single features, so every
    word's share of them can be computed once and cached: scoring a message adds up a
    few cached rows instead of building and normalising its sparse vector.
    """

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
        self.vocabulary = {term: row for row, term in enumerate(vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.categories = tuple(categories)
        self.category_bias = np.asarray(category_bias, dtype=np.float64)
        self.risk_bias = np.asarray(risk_bias, dtype=np.float64)
        self.thresholds = dict(thresholds)
        # Per feature, its contribution to both heads' sums and, in the last column, to
        # the normaliser: idf * coefficients | idf**2. Below the features, one row per
        # word seen (the sum of its features' rows): residents repeat their words, so
        # each is computed once and a message is scored with a single gather. Stored in
        # float32, the precision the model is saved in, and summed in float64; the
        # coefficients are not kept besides: ``coefficients`` divides them out.
        idf_column = self.idf[:, None]
        self._features = len(self.vocabulary)
        width = len(self.categories) + len(RISK_CLASSES) + 1
        self._rows = np.empty((self._features + 1024, width), dtype=np.float32)
        self._rows[: self._features] = np.hstack(
            [idf_column * category_coef, idf_column * risk_coef, idf_column**2]
        )
        self._rows[self._features :] = 0
        self._bias = np.concatenate([self.category_bias, self.risk_bias]).tolist()
        self._word_index: dict[str, tuple[str, int]] = {}

    def _word(self, raw: str) -> tuple[str, int]:
        """A folded word's shortened form and the row of its summed features (cached)."""
        known = self._word_index.get(raw)
        if known is None:
            if len(self._word_index) >= WORD_CACHE_LIMIT:
                self._word_index.clear()
            row = self._features + len(self._word_index)
            if row == len(self._rows):
                self._rows = np.vstack(
                    [self._rows, np.zeros((row - self._features, self._rows.shape[1]), np.float32)]
                )
            word = single(raw)
            found = (self.vocabulary.get(term) for term in word_features(word))
            features = [i for i in found if i is not None]
            self._rows[row] = self._rows[features].sum(axis=0, dtype=np.float64)
            known = self._word_index[raw] = (word, row)
        return known

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
            words = WORDS.findall(fold(text[:MAX_CHARS]))
        split = len(self.categories)
        scores = self._scores(words, markers)
        category, risk = softmax(scores[:split]), softmax(scores[split:])
        # Long messages only: the most dangerous part counts.
        for part in windows(text) if len(words) > WINDOW_WORDS else ():
            part_risk = softmax(self._scores(WORDS.findall(fold(part)), markers)[split:])
            if part_risk[2] + part_risk[3] > risk[2] + risk[3]:
                risk = part_risk
        return Prediction(self.categories, category, risk)

    def _scores(self, words: Sequence[str], markers: Sequence[str]) -> list[float]:
        """Both heads' raw scores: categories first, then the risk classes.

        Args:
            words: the folded words of the message (at most ``MAX_WORDS`` are read).
            markers: what the rules found.
        """
        vocabulary = self.vocabulary
        cached = self._word_index.get
        looked_up = [cached(raw) or self._word(raw) for raw in words[:MAX_WORDS]]
        others = [
            i
            for term in (
                *(f"b:{a}_{b}" for (a, _), (b, _) in pairwise(looked_up)),
                *markers,
            )
            if (i := vocabulary.get(term)) is not None
        ]
        rows = [row for _, row in looked_up]
        rows += others
        total = self._rows.take(rows, axis=0).sum(axis=0, dtype=np.float64).tolist()
        norm = math.sqrt(total[-1]) if total[-1] > 0 else 1.0
        return [value / norm + bias for value, bias in zip(total, self._bias, strict=False)]

    def coefficients(self) -> tuple[np.ndarray, np.ndarray]:
        """Both heads' coefficients per feature row: categories, risk classes.

        Divided out of the float32 scoring rows (idf is at least 1, never zero), so within
        one float32 unit in the last place of the coefficients the model was built with.
        """
        split = len(self.categories)
        weighted = self._rows[: self._features, :-1] / self.idf[:, None]
        return weighted[:, :split], weighted[:, split:]

    def save(self, path: Path) -> None:
        """Writes the model to ``path`` (see ``dumps``)."""
        path.write_bytes(self.dumps())

    def dumps(self) -> bytes:
        """The model as a compressed archive of plain arrays (no pickle: ``load`` reads it
        with ``allow_pickle=False``)."""
        vocabulary = list(self.vocabulary)
        category_coef, risk_coef = self.coefficients()
        keys = sorted(self.thresholds)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            format=np.array([FORMAT]),
            vocabulary=np.array(vocabulary, dtype=np.str_),
            idf=self.idf.astype(np.float32),
            categories=np.array(self.categories, dtype=np.str_),
            category_coef=category_coef.astype(np.float32),
            category_bias=self.category_bias.astype(np.float32),
            risk_coef=risk_coef.astype(np.float32),
            risk_bias=self.risk_bias.astype(np.float32),
            threshold_names=np.array(keys, dtype=np.str_),
            threshold_values=np.array([self.thresholds[k] for k in keys]),
        )
        return buffer.getvalue()

    @classmethod
    def load(cls, path: Path) -> TextModel:
        """Reads a model written by ``save``.

        Raises:
            OutdatedModel: the file holds a model of an older format.
            ValueError: the file is not a triage model of this format.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                version = int(data["format"][0])
                if version < FORMAT:
                    raise OutdatedModel(f"{path.name}: model format {version}, expected {FORMAT}")
                if version != FORMAT:
                    raise ValueError(f"{path.name}: model format {version}")
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
        except OutdatedModel:
            raise
        except (OSError, KeyError, ValueError, EOFError) as exc:
            raise ValueError(f"{path.name}: not a readable triage model ({exc})") from None


def shipped_model(config: FlowConfig) -> TextModel | None:
    """The model that comes with a flows directory, or None when it has none.

    Raises:
        flows.config.ConfigError: the file is there but is no readable model.
    """
    try:
        return _read(config.directory / MODEL_FILE)
    except OutdatedModel as exc:
        raise ConfigError(str(exc)) from None


def installed_model(directory: Path) -> TextModel | None:
    """The model ``helpline triage retrain`` installed in ``directory`` (the data
    directory), or None when there is none or it was trained for an older model format
    (it is then ignored with a warning: the shipped model is used until the next retrain).

    Raises:
        flows.config.ConfigError: the file is there but is no readable model.
    """
    try:
        return _read(directory / MODEL_FILE)
    except OutdatedModel:
        logger.warning(
            "the triage model in the data directory has an older format; using the shipped "
            "model until `helpline triage retrain` installs a new one"
        )
        return None


def _read(path: Path) -> TextModel | None:
    if not path.is_file():
        return None
    try:
        return TextModel.load(path)
    except OutdatedModel:
        raise
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
