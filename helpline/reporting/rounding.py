"""Whole percentages that add up to exactly 100: largest-remainder rounding."""

from __future__ import annotations

from collections.abc import Sequence


def largest_remainder(counts: Sequence[int], total: int = 100) -> list[int]:
    """Shares of ``total`` proportional to ``counts``, as integers summing to ``total``.

    Each share is first rounded down; the units still missing go to the largest
    remainders (Hamilton's method). Exact integer arithmetic, so no float surprises.
    Ties go to the larger count, then to the earlier position, so the result does not
    depend on anything but the input.

    Args:
        counts: non-negative numbers, e.g. contacts per category.
        total: what the shares add up to (100 for percentages).

    Returns:
        One share per count; all zeros when the counts are all zero (or empty).

    Raises:
        ValueError: for a negative count or total.
    """
    if total < 0 or any(count < 0 for count in counts):
        raise ValueError("counts and total must not be negative")
    whole = sum(counts)
    if whole == 0:
        return [0] * len(counts)
    shares = [count * total // whole for count in counts]
    remainders = [count * total % whole for count in counts]
    missing = total - sum(shares)
    order = sorted(range(len(counts)), key=lambda i: (-remainders[i], -counts[i], i))
    for index in order[:missing]:
        shares[index] += 1
    return shares
