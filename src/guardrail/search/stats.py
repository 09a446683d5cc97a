"""Statistics for choosing prompts: Wilson intervals, exact binomial bounds, paired comparisons.

All intervals are for accuracies in [0, 1]; the paired ones use the same cases for both candidates, which
is what makes small differences detectable (discordant cases carry all the information).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

import numpy as np

#: Below this many cases a report warns that accuracies are rough, whatever the intervals say.
SMALL_N = 30


def z_value(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    confidence: float

    def to_dict(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high, "confidence": self.confidence}

    def __str__(self) -> str:
        return f"{self.estimate:.1%} [{self.low:.1%}, {self.high:.1%}]"


def wilson(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """The Wilson score interval for a binomial proportion (sound at small n and near 0 or 1)."""
    if n <= 0:
        return Interval(float("nan"), 0.0, 1.0, confidence)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be within 0..n, got {successes} of {n}")
    z = z_value(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Clamped so rounding never puts a bound on the wrong side of the estimate.
    return Interval(p, max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half)), confidence)


# --------------------------------------------------------------------------- exact binomial (Clopper–Pearson)


def _log_binom_pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    return (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )


def binom_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return min(1.0, sum(math.exp(_log_binom_pmf(i, n, p)) for i in range(k, n + 1)))


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return min(1.0, sum(math.exp(_log_binom_pmf(i, n, p)) for i in range(0, k + 1)))


@lru_cache(maxsize=200_000)
def cp_upper(k: int, n: int, alpha: float) -> float:
    """One-sided Clopper–Pearson upper bound: P(true p <= bound) >= 1 - alpha."""
    if n == 0 or k >= n:
        return 1.0
    lo, hi = k / n, 1.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if binom_cdf(k, n, mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


@lru_cache(maxsize=200_000)
def cp_lower(k: int, n: int, alpha: float) -> float:
    """One-sided Clopper–Pearson lower bound: P(true p >= bound) >= 1 - alpha."""
    if n == 0 or k <= 0:
        return 0.0
    lo, hi = 0.0, k / n
    for _ in range(50):
        mid = (lo + hi) / 2
        if binom_sf(k, n, mid) > alpha:
            hi = mid
        else:
            lo = mid
    return lo


# --------------------------------------------------------------------------- paired comparisons


@dataclass(frozen=True)
class PairedCounts:
    """Two candidates on the same n cases: ``a_only`` cases only A got right, ``b_only`` only B."""

    n: int
    a_only: int
    b_only: int

    @classmethod
    def of(cls, a: Sequence[bool], b: Sequence[bool]) -> PairedCounts:
        if len(a) != len(b):
            raise ValueError(f"paired outcomes need equal lengths, got {len(a)} and {len(b)}")
        a_only = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
        b_only = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
        return cls(len(a), a_only, b_only)

    @property
    def difference(self) -> float:
        return (self.a_only - self.b_only) / self.n if self.n else 0.0


def paired_upper_bound(counts: PairedCounts, alpha: float) -> float:
    """An upper confidence bound on acc(A) − acc(B) holding with probability ≥ 1 − alpha.

    acc(A) − acc(B) = P(only A right) − P(only B right); bound the first from above and the second from
    below with exact one-sided Clopper–Pearson bounds at alpha/2 each (union bound). Exact, conservative,
    valid for any n.
    """
    if counts.n == 0:
        return 1.0
    return cp_upper(counts.a_only, counts.n, alpha / 2) - cp_lower(counts.b_only, counts.n, alpha / 2)


def mcnemar_p(counts: PairedCounts) -> float:
    """Two-sided exact McNemar test (a sign test on the discordant cases) of equal accuracies."""
    m = counts.a_only + counts.b_only
    if m == 0:
        return 1.0
    k = min(counts.a_only, counts.b_only)
    return min(1.0, 2 * binom_cdf(k, m, 0.5))


@dataclass(frozen=True)
class PairedComparison:
    """Best versus runner-up on the same cases."""

    n: int
    difference: float
    low: float
    high: float
    confidence: float
    a_only: int
    b_only: int
    p_value: float

    @property
    def separated(self) -> bool:
        """The interval excludes zero: the data tell the two apart."""
        return self.low > 0 or self.high < 0

    def to_dict(self) -> dict[str, float | int | bool]:
        return {
            "n": self.n,
            "difference": self.difference,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
            "a_only": self.a_only,
            "b_only": self.b_only,
            "mcnemar_p": self.p_value,
            "separated": self.separated,
        }


def paired_bootstrap(
    a: Sequence[bool], b: Sequence[bool], *, confidence: float = 0.95, resamples: int = 4000, seed: int = 0
) -> PairedComparison:
    """Percentile bootstrap interval of acc(A) − acc(B), resampling cases (pairs stay together), plus the
    exact McNemar p-value."""
    counts = PairedCounts.of(a, b)
    if counts.n == 0:
        return PairedComparison(0, 0.0, -1.0, 1.0, confidence, 0, 0, 1.0)
    diff = np.asarray(a, dtype=np.int8) - np.asarray(b, dtype=np.int8)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, counts.n, size=(resamples, counts.n))
    means = diff[idx].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return PairedComparison(
        counts.n,
        counts.difference,
        float(low),
        float(high),
        confidence,
        counts.a_only,
        counts.b_only,
        mcnemar_p(counts),
    )


def separation_warning(comparison: PairedComparison, best: str, runner_up: str) -> str | None:
    """A sentence for the report when n is too small to tell the best from the runner-up."""
    if comparison.n < SMALL_N:
        return (
            f"only {comparison.n} validation cases: accuracies are rough; evaluate more cases before "
            f"trusting the ranking of {best} over {runner_up}"
        )
    if not comparison.separated:
        return (
            f"{comparison.n} validation cases cannot separate the best ({best}) from the runner-up "
            f"({runner_up}): difference {comparison.difference:+.1%}, "
            f"{comparison.confidence:.0%} interval [{comparison.low:+.1%}, {comparison.high:+.1%}], "
            f"McNemar p = {comparison.p_value:.2f}; treat them as tied or evaluate more cases"
        )
    return None
