"""Intervals and paired comparisons: closed forms where they exist, seeded coverage checks elsewhere."""

from __future__ import annotations

import math

import numpy as np
import pytest

from guardrail.search.stats import (
    PairedCounts,
    binom_cdf,
    binom_sf,
    cp_lower,
    cp_upper,
    mcnemar_p,
    paired_bootstrap,
    paired_upper_bound,
    separation_warning,
    wilson,
)
from guardrail.search.strategies import sign_test_worse


def test_wilson_matches_its_formula_and_stays_in_range() -> None:
    z = 1.959963984540054
    for k, n in [(0, 10), (10, 10), (7, 20), (1, 1)]:
        iv = wilson(k, n)
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        assert iv.low == pytest.approx(max(0.0, centre - half))
        assert iv.high == pytest.approx(min(1.0, centre + half))
        assert 0 <= iv.low <= iv.estimate <= iv.high <= 1


def test_wilson_covers_the_truth_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(2000):
        k = int(rng.binomial(40, 0.3))
        iv = wilson(k, 40)
        hits += iv.low <= 0.3 <= iv.high
    assert 0.93 <= hits / 2000 <= 0.98


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson(11, 10)


def test_binomial_tails_sum_to_one() -> None:
    for k in range(0, 11):
        assert binom_cdf(k - 1, 10, 0.3) + binom_sf(k, 10, 0.3) == pytest.approx(1.0)


def test_clopper_pearson_closed_forms_at_the_edges() -> None:
    # With 0 successes the exact upper bound is 1 - alpha^(1/n); with n successes the lower is alpha^(1/n).
    for n in (5, 20, 100):
        assert cp_upper(0, n, 0.05) == pytest.approx(1 - 0.05 ** (1 / n), abs=1e-9)
        assert cp_lower(n, n, 0.05) == pytest.approx(0.05 ** (1 / n), abs=1e-9)


def test_paired_upper_bound_covers_the_true_difference() -> None:
    rng = np.random.default_rng(1)
    # P(only A right) = 0.10, P(only B right) = 0.15: acc(A) - acc(B) = -0.05.
    misses = 0
    for _ in range(400):
        draws = rng.choice(3, size=80, p=[0.10, 0.15, 0.75])
        counts = PairedCounts(80, int((draws == 0).sum()), int((draws == 1).sum()))
        misses += paired_upper_bound(counts, 0.1) < -0.05
    assert misses / 400 <= 0.1


def test_mcnemar_exact_p_value() -> None:
    assert mcnemar_p(PairedCounts(50, 10, 0)) == pytest.approx(2 * 0.5**10)
    assert mcnemar_p(PairedCounts(50, 5, 5)) == pytest.approx(1.0)


def test_sign_test_is_small_only_when_the_challenger_is_clearly_worse() -> None:
    leader = [True] * 30 + [False] * 10
    worse = [False] * 20 + [True] * 10 + [False] * 10
    assert sign_test_worse(worse, leader) < 1e-5
    assert sign_test_worse(leader, leader) == 1.0
    assert sign_test_worse(leader, worse) > 0.5


def test_paired_bootstrap_of_identical_candidates_is_zero() -> None:
    same = [True, False, True, True] * 10
    comparison = paired_bootstrap(same, same)
    assert (comparison.difference, comparison.low, comparison.high) == (0.0, 0.0, 0.0)
    assert not comparison.separated


def test_paired_bootstrap_separates_a_clear_difference_and_is_seeded() -> None:
    a = [True] * 90 + [False] * 10
    b = [True] * 60 + [False] * 40
    first, second = paired_bootstrap(a, b, seed=3), paired_bootstrap(a, b, seed=3)
    assert first == second
    assert first.separated and first.low > 0
    assert first.difference == pytest.approx(0.3)


def test_separation_warning_when_n_is_small_or_the_interval_spans_zero() -> None:
    tiny = paired_bootstrap([True] * 10, [False] * 10)
    assert "only 10" in (separation_warning(tiny, "a", "b") or "")
    close_a = [True] * 41 + [False] * 59
    close_b = [True] * 40 + [False] * 60
    close = paired_bootstrap(close_a, close_b)
    assert "cannot separate" in (separation_warning(close, "a", "b") or "")
    clear = paired_bootstrap([True] * 90 + [False] * 10, [True] * 50 + [False] * 50)
    assert separation_warning(clear, "a", "b") is None
