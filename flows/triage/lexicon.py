"""Word keys: what a word of a message may stand for (its lemmas, stems and typo fixes).

A rule word matches a message word when they share a key. Keys of a message word:
the word itself ("=" + word for exact-only rules), its Dutch and English lemmas
(simplemma), the rule stems it starts or ends with ("boodschap*", "*hond"), and,
for an unknown word, the nearest rule word within one or two typos (rapidfuzz).
Every message word is analysed once and cached: residents repeat the same words,
so after warm-up a message costs a few dictionary look-ups per word.
"""

from __future__ import annotations

from collections.abc import Iterable

import simplemma
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from flows.triage.normalise import single, squeeze

LANGUAGES = ("nl", "en")
# simplemma's dictionaries read from their compressed form rather than unpacked into
# Python dicts: the same lemmas for 60 MB less memory; each word is looked up once
# (the cache below), so the slower look-up does not show.
LOW_MEMORY = True
# Typo correction only for words this long: short words are too easily another word.
FUZZY_MIN_LENGTH = 5
# Lemmas too common to be evidence: a rule word like "gehad" (had it before) or "been"
# (leg) must not match every "heeft" or "is" through them.
AUXILIARY_LEMMAS = frozenset(
    {"be", "have", "do", "zijn", "hebben", "worden", "doen", "gaan", "kunnen", "zullen"}
)
# Above this many cached words the cache starts afresh, so memory stays bounded.
CACHE_LIMIT = 200_000


def lemmas(word: str, languages: tuple[str, ...] = LANGUAGES) -> set[str]:
    """Returns the word with its lemmas in ``languages``."""
    found = {word}
    if word.isalpha():
        for lang in languages:
            found.add(simplemma.lemmatize(word, lang=lang, low_memory=LOW_MEMORY))
    return found


def own_languages(word: str) -> tuple[str, ...]:
    """The languages a rule word belongs to (all when none or both know it).

    A Dutch rule word must not bring its English lemma along: "been" (leg) would
    otherwise become English "be" and match every "is".
    """
    known = tuple(
        lang for lang in LANGUAGES if simplemma.is_known(word, lang=lang, low_memory=LOW_MEMORY)
    )
    return known or LANGUAGES


def is_dictionary_word(word: str) -> bool:
    """True when simplemma knows the word in one of the languages (then it is no typo)."""
    return any(simplemma.is_known(word, lang=lang, low_memory=LOW_MEMORY) for lang in LANGUAGES)


class Lexicon:
    """The keys of rule words (at build time) and message words (cached, at run time)."""

    def __init__(self) -> None:
        self._prefixes: set[str] = set()
        self._suffixes: set[str] = set()
        self._known: set[str] = set()
        self._fuzzy_targets: list[str] = []
        self._stems_by_length: dict[int, list[str]] = {}
        self._cache: dict[str, frozenset[str]] = {}

    def element(self, word: str) -> frozenset[str]:
        """Registers a folded rule word and returns the keys a message word must share.

        Args:
            word: "hond" (word, lemmas, typos), "boodschap*" (starts with),
                "*hond" (ends with, for Dutch compounds) or "=ah" (exactly this word).
        """
        if word.startswith("="):
            key = word
        elif word.endswith("*"):
            key = word
            self._prefixes.add(word[:-1])
        elif word.startswith("*"):
            key = word
            self._suffixes.add(word[1:])
        else:
            found = lemmas(word, own_languages(word))
            keys = frozenset(k for k in found if k == word or k not in AUXILIARY_LEMMAS)
            self._known.update(keys)
            return keys
        self._known.add(key)
        return frozenset({key})

    def freeze(self) -> None:
        """Builds the typo-correction targets once all rule words are registered."""
        # Stems too: "zelfmoort" is one typo from the stem of "zelfmoord*".
        words = self._known | self._prefixes
        self._fuzzy_targets = sorted(w for w in words if len(w) >= FUZZY_MIN_LENGTH and w.isalpha())
        self._stems_by_length = {}
        for stem in sorted(self._prefixes):
            if len(stem) >= FUZZY_MIN_LENGTH and stem.isalpha():
                self._stems_by_length.setdefault(len(stem), []).append(stem)
        self._cache.clear()

    def keys(self, word: str) -> frozenset[str]:
        """Returns the (cached) keys of a folded message word."""
        cached = self._cache.get(word)
        if cached is None:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            cached = self._cache[word] = self._analyse(word)
        return cached

    def keys_of(self, words: Iterable[str]) -> list[frozenset[str]]:
        """Returns the keys of every word of a message (the hot path: cache hits)."""
        cache_get = self._cache.get
        return [cache_get(word) or self.keys(word) for word in words]

    def _analyse(self, word: str) -> frozenset[str]:
        variants = {word, squeeze(word), single(word)}
        keys = {"=" + v for v in variants}
        for variant in variants:
            keys |= lemmas(variant)
            keys |= self._stems(variant)
        if keys.isdisjoint(self._known) and not any(map(is_dictionary_word, variants)):
            fixed = self._correct(squeeze(word))
            if fixed is not None:
                keys |= lemmas(fixed, own_languages(fixed)) | self._stems(fixed)
        return frozenset(keys)

    def _stems(self, word: str) -> set[str]:
        stems = set()
        for end in range(2, len(word) + 1):
            if word[:end] in self._prefixes:
                stems.add(word[:end] + "*")
            if word[-end:] in self._suffixes:
                stems.add("*" + word[-end:])
        return stems

    def _correct(self, word: str) -> str | None:
        if len(word) < FUZZY_MIN_LENGTH or not word.isalpha() or not self._fuzzy_targets:
            return None
        # One typo in a short word, two in a long one ("medisijnen", "boodschapen").
        limit = 1 if len(word) < 8 else 2
        best = process.extractOne(
            word, self._fuzzy_targets, scorer=Levenshtein.distance, score_cutoff=limit
        )
        if best is not None:
            return str(best[0])
        # A typo in the head of a compound or inflected word: "medisijnen" → "medicijn*".
        for length, stems in self._stems_by_length.items():
            if length < len(word):
                head = process.extractOne(
                    word[:length], stems, scorer=Levenshtein.distance, score_cutoff=1
                )
                if head is not None:
                    return str(head[0]) + word[length:]
        return None
