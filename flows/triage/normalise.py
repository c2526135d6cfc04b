"""Text normalisation: one resident message becomes a list of plain lower-case words.

Residents write on phones, in a hurry or with stiff fingers: capitals, accents,
emoji, "hellllp", "don't" and "dont" must all end up the same. Punctuation is kept
only as a clause boundary, because negation ("geen boodschappen nodig, wel de
tuin") must not reach across it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Telegram caps a message at 4,096 characters; anything longer is not a resident typing.
MAX_CHARS = 4096
# The longest message we look at in words: keeps the worst case fast.
MAX_TOKENS = 800

_APOSTROPHES = re.compile(r"['’‘`´]")
# A word (letters/digits, no underscore) or a clause-ending punctuation mark.
_TOKENS = re.compile(r"[^\W_]+|[.!?;:,()\n]")
_RUNS = re.compile(r"(.)\1{2,}")
_CLAUSE_MARKS = frozenset(".!?;:,()\n")


@dataclass(frozen=True)
class Tokens:
    """The words of a message and the clause each word belongs to."""

    words: tuple[str, ...]
    clauses: tuple[int, ...]


def fold(text: str) -> str:
    """Lower-cases, strips accents and joins contractions ("Suïcidaal" → "suicidaal").

    Args:
        text: any string.

    Returns:
        The folded text; characters without a base letter (emoji) are kept as they are.
    """
    text = text.casefold()
    if not text.isascii():  # most messages are plain ASCII: skip the slow path
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _APOSTROPHES.sub("", text)


def squeeze(word: str) -> str:
    """Shortens runs of three or more equal letters to two ("hallooo" → "halloo")."""
    return _RUNS.sub(r"\1\1", word)


def single(word: str) -> str:
    """Shortens every run of three or more equal letters to one ("helppp" → "help")."""
    return _RUNS.sub(r"\1", word)


def tokenize(text: str, breakers: frozenset[str] = frozenset()) -> Tokens:
    """Splits a message into folded words, numbering the clauses.

    Args:
        text: the raw message.
        breakers: words that start a new clause ("maar", "but").

    Returns:
        The words (at most ``MAX_TOKENS``) and, per word, its clause number.
    """
    words: list[str] = []
    clauses: list[int] = []
    clause = 0
    for token in _TOKENS.findall(fold(text[:MAX_CHARS])):
        if token in _CLAUSE_MARKS:
            clause += 1
            continue
        if token in breakers:
            clause += 1
        words.append(token)
        clauses.append(clause)
        if len(words) >= MAX_TOKENS:
            break
    return Tokens(tuple(words), tuple(clauses))
