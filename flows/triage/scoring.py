"""The rules' category scores: the weights of the words and phrases found in a message,
added up per category, with a bonus near words of emphasis ("vooral", "mostly")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Per matched pattern id, the (first, last) word positions of its match.
Found = dict[int, tuple[int, int]]


def category_scores(
    found: Found,
    negated: frozenset[int],
    emphasised: frozenset[int],
    weights: Mapping[int, Sequence[tuple[str, float]]],
    emphasis_bonus: float,
) -> dict[str, float]:
    """Adds up the weights per category.

    Longer phrases count first; a word or phrase inside an already counted phrase
    of the same category ("alleen" in "voel me zo alleen") does not count again.
    """
    hits = sorted(
        (start - end, -weight, category, start, end)
        for pid, (start, end) in found.items()
        for category, weight in weights.get(pid, ())
    )
    counted: dict[str, list[tuple[int, int]]] = {}
    scores: dict[str, float] = {}
    for _length, minus_weight, category, start, end in hits:
        weight = -minus_weight
        if weight > 0:
            spans = counted.setdefault(category, [])
            if start in negated or any(s <= start and end <= e for s, e in spans):
                continue
            spans.append((start, end))
            if start in emphasised:
                weight += emphasis_bonus
        scores[category] = scores.get(category, 0.0) + weight
    return scores


def emphasised_positions(
    found: Found, clauses: tuple[int, ...], emphasis: frozenset[int], window: int
) -> frozenset[int]:
    """Positions near "vooral", "mostly": the resident's main need in a long message."""
    near: set[int] = set()
    for pid in emphasis.intersection(found):
        at = found[pid][0]
        near.update(
            p
            for p in range(max(0, at - window), min(len(clauses), at + window + 1))
            if clauses[p] == clauses[at]
        )
    return frozenset(near)
