"""Finds every rule word and phrase in a message in one pass over its words.

Patterns are indexed by the keys of their first word, so a message only looks at
patterns that can start at one of its words: the cost grows with the message,
not with the number of rules a coordinator writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Keys = frozenset[str]


@dataclass(frozen=True)
class Pattern:
    """A word or phrase: in order with small gaps, or (``ordered=False``) anywhere."""

    elements: tuple[Keys, ...]
    ordered: bool = True


# A phrase that can start at a word: its id, the keys of its second word, the phrase.
Longer = tuple[int, Keys, Pattern]


class Matcher:
    """Matches a fixed list of patterns; pattern ids are their positions in that list."""

    def __init__(self, patterns: Sequence[Pattern], max_gap: int) -> None:
        self._patterns = tuple(patterns)
        self._max_gap = max_gap
        self._by_first: dict[str, list[int]] = {}
        for pid, pattern in enumerate(self._patterns):
            for key in pattern.elements[0]:
                self._by_first.setdefault(key, []).append(pid)
        # Per distinct set of word keys (the lexicon caches one object per word).
        self._starts: dict[Keys, tuple[tuple[int, ...], tuple[Longer, ...]]] = {}

    def _starting(self, keys: Keys) -> tuple[tuple[int, ...], tuple[Longer, ...]]:
        """The single-word and the longer patterns that can start at a word with these keys;
        a longer one as (id, its second word's keys, pattern)."""
        starts = self._starts.get(keys)
        if starts is None:
            pids = sorted({pid for key in keys for pid in self._by_first.get(key, ())})
            patterns = self._patterns
            singles = tuple(p for p in pids if len(patterns[p].elements) == 1)
            longer = tuple(
                (p, patterns[p].elements[1], patterns[p])
                for p in pids
                if len(patterns[p].elements) > 1
            )
            if len(self._starts) >= 100_000:
                self._starts.clear()
            starts = self._starts[keys] = (singles, longer)
        return starts

    def find(self, words: Sequence[Keys]) -> dict[int, tuple[int, int]]:
        """Returns, per pattern found, the first and last word of its first occurrence.

        Args:
            words: the keys of each word of the message, in order.
        """
        found: dict[int, tuple[int, int]] = {}
        # Every key in the message: a phrase whose second word is absent is skipped at once.
        everywhere: set[str] = set().union(*words)
        cached = self._starts.get
        starting = self._starting
        in_order = self._in_order
        for start, keys in enumerate(words):
            singles, longer = cached(keys) or starting(keys)
            for pid in singles:
                if pid not in found:
                    found[pid] = (start, start)
            for pid, second, pattern in longer:
                if pid in found or second.isdisjoint(everywhere):
                    continue
                if pattern.ordered:
                    end = in_order(pattern.elements, words, start)
                    if end >= 0:
                        found[pid] = (start, end)
                elif all(not e.isdisjoint(everywhere) for e in pattern.elements[2:]):
                    found[pid] = (start, start)
        return found

    def _in_order(self, elements: tuple[Keys, ...], words: Sequence[Keys], start: int) -> int:
        """The position of the phrase's last word when it starts at ``start``, else -1."""
        position = start
        for element in elements[1:]:
            last = min(len(words), position + 2 + self._max_gap)
            for nxt in range(position + 1, last):
                if not element.isdisjoint(words[nxt]):
                    position = nxt
                    break
            else:
                return -1
        return position
