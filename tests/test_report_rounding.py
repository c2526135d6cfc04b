"""Percentages: whole numbers that add up to exactly 100 (largest-remainder rounding)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.reporting.rounding import largest_remainder

counts_lists = st.lists(st.integers(min_value=0, max_value=10**7), max_size=60)


@given(counts_lists)
def test_percentages_add_up_to_exactly_100(counts: list[int]) -> None:
    shares = largest_remainder(counts)
    assert len(shares) == len(counts)
    assert sum(shares) == (100 if sum(counts) else 0)


@given(counts_lists)
def test_each_share_is_its_quota_rounded_down_or_up(counts: list[int]) -> None:
    shares = largest_remainder(counts)
    whole = sum(counts)
    for count, share in zip(counts, shares, strict=True):
        quota = Fraction(count * 100, whole) if whole else Fraction(0)
        assert int(quota) <= share <= int(quota) + 1
        if quota.denominator == 1:
            assert share == quota  # an exact percentage is never moved


@given(counts_lists)
def test_a_larger_count_never_gets_a_smaller_percentage(counts: list[int]) -> None:
    shares = largest_remainder(counts)
    for i, a in enumerate(counts):
        for j, b in enumerate(counts):
            if a > b:
                assert shares[i] >= shares[j]
            if a == b:
                assert abs(shares[i] - shares[j]) <= 1


@given(counts_lists, st.integers(min_value=0, max_value=1000))
def test_any_total_is_met(counts: list[int], total: int) -> None:
    assert sum(largest_remainder(counts, total)) == (total if sum(counts) else 0)


@given(counts_lists)
def test_rounding_is_deterministic(counts: list[int]) -> None:
    assert largest_remainder(counts) == largest_remainder(list(counts))


def test_known_examples() -> None:
    assert largest_remainder([1, 1, 1]) == [34, 33, 33]
    assert largest_remainder([2, 1, 1]) == [50, 25, 25]
    assert largest_remainder([5, 3, 2]) == [50, 30, 20]
    assert largest_remainder([1, 2, 3, 4, 5, 6]) == [5, 9, 14, 19, 24, 29]
    assert largest_remainder([0, 0]) == [0, 0]
    assert largest_remainder([]) == []


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        largest_remainder([3, -1])
