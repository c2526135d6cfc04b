"""What the triage model reads in a message: its words, word pairs and letter pieces,
and, for a long message, the parts its risk is also judged on.

Training (``flows.triage.training``) and scoring (``flows.triage.model``) both take their
features from here, so the two can never read a message differently.
"""

from __future__ import annotations

import re
from itertools import pairwise

from flows.triage.normalise import MAX_CHARS, fold, single

WORDS = re.compile(r"[^\W_]+")
SENTENCE_END = re.compile(r"(?<=[.!?\n])\s+")
# A long message is also read in parts of about this many words: one sentence about
# ending one's life must not drown in a page about the garden.
WINDOW_WORDS = 40
CHAR_RANGE = (3, 5)
# Enough words for any resident message; a pasted letter says what it is about early on.
MAX_WORDS = 300


def words_of(text: str) -> list[str]:
    """The folded words of a message, runs of a letter shortened ("hellllp" -> "help")."""
    return [single(w) for w in WORDS.findall(fold(text[:MAX_CHARS]))][:MAX_WORDS]


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


def windows(text: str) -> list[str]:
    """Consecutive sentences of a long message, grouped into parts of about
    ``WINDOW_WORDS`` words; empty for a message that short (nearly all of them)."""
    # More words than the window need at least a letter and a separator each.
    if len(text) <= 2 * WINDOW_WORDS or len(WORDS.findall(text[:MAX_CHARS])) <= WINDOW_WORDS:
        return []
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in SENTENCE_END.split(text[:MAX_CHARS]):
        words = len(WORDS.findall(sentence))
        if current and size + words > WINDOW_WORDS:
            parts.append(" ".join(current))
            current, size = [], 0
        current.append(sentence)
        size += words
    if current:
        parts.append(" ".join(current))
    return parts if len(parts) > 1 else []
