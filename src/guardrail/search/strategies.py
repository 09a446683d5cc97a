"""Search strategies over candidates, on paired per-case outcomes from the validation split.

A strategy asks an ``OutcomeSource`` for candidates' outcomes on the first ``n`` validation cases (every
candidate sees the same cases in the same order) and decides whom to evaluate further.

* ``Grid`` evaluates every candidate on the whole validation split.
* ``RandomSearch`` evaluates as many randomly drawn candidates as a call budget allows.
* ``Racing`` evaluates all candidates on a growing prefix and drops one as soon as an exact paired test
  (a one-sided sign test on the cases where exactly one of the two is right, i.e. exact McNemar) shows it
  is worse than the leader; it stops once an exact paired upper bound puts every survivor within ε of the
  leader. With ``correction="bonferroni"`` (the default) the tests are union-bounded over rounds and
  rivals, so with probability at least 1 − δ the best candidate is never dropped and a stop "within ε"
  returns a candidate within ε of the best, at every n. ``correction="none"`` tests each look at level δ
  (as F-Race does): cheaper, and without that guarantee.
* ``SuccessiveHalving`` keeps the better half at each doubling of n (a budget heuristic, no guarantee).
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import ConfigurationError
from .stats import PairedCounts, binom_sf, paired_upper_bound


class OutcomeSource(Protocol):
    """Per-case correctness of candidates on the validation split, computed on demand."""

    @property
    def n_available(self) -> int:
        """How many validation cases there are."""

    async def outcomes(self, candidate_ids: Sequence[str], n: int) -> Mapping[str, Sequence[bool]]:
        """Correctness of each candidate on the first ``n`` validation cases, in case order."""


@dataclass(frozen=True)
class Elimination:
    candidate: str
    at_n: int
    leader: str
    #: Racing: the p-value of "the candidate is at least as good as the leader" that dropped it.
    #: Halving: the candidate's accuracy minus the leader's when it was dropped.
    evidence: float


@dataclass
class Selection:
    """What a strategy decided, and what it cost."""

    strategy: str
    winner: str
    #: Cases evaluated per candidate (model calls when nothing was cached); absent = never evaluated.
    evaluated: dict[str, int]
    stopped: str
    eliminated: list[Elimination] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def calls(self) -> int:
        return sum(self.evaluated.values())


def _accuracy(outcomes: Sequence[bool]) -> float:
    return sum(outcomes) / len(outcomes) if outcomes else 0.0


def _best(ids: Sequence[str], results: Mapping[str, Sequence[bool]]) -> str:
    # Ties go to the earlier candidate, so the choice is deterministic.
    return max(ids, key=lambda c: (_accuracy(results[c]), -ids.index(c)))


class Strategy(ABC):
    name: str = "strategy"

    @abstractmethod
    async def run(self, candidates: Sequence[str], source: OutcomeSource) -> Selection:
        """Choose among ``candidates`` (ids) using ``source``."""

    def planned_calls(self, n_candidates: int, n_validation: int) -> int:
        """An upper bound on the validation calls this strategy will make."""
        return n_candidates * n_validation


class Grid(Strategy):
    name = "grid"

    async def run(self, candidates: Sequence[str], source: OutcomeSource) -> Selection:
        n = source.n_available
        results = await source.outcomes(list(candidates), n)
        winner = _best(list(candidates), results)
        return Selection(
            self.name, winner, {c: n for c in candidates}, "evaluated every candidate on every case"
        )


@dataclass
class RandomSearch(Strategy):
    """Evaluates ``budget // n_validation`` random (seeded) candidates on the whole validation split."""

    budget: int
    seed: int = 0
    name: str = "random"

    async def run(self, candidates: Sequence[str], source: OutcomeSource) -> Selection:
        n = source.n_available
        m = max(1, min(len(candidates), self.budget // max(1, n)))
        drawn = sorted(random.Random(self.seed).sample(range(len(candidates)), m))
        chosen = [candidates[i] for i in drawn]
        results = await source.outcomes(chosen, n)
        return Selection(
            self.name,
            _best(chosen, results),
            {c: n for c in chosen},
            f"evaluated {m} of {len(candidates)} candidates (budget {self.budget} calls)",
            settings={"budget": self.budget, "seed": self.seed},
        )

    def planned_calls(self, n_candidates: int, n_validation: int) -> int:
        return min(n_candidates, max(1, self.budget // max(1, n_validation))) * n_validation


def sign_test_worse(challenger: Sequence[bool], leader: Sequence[bool]) -> float:
    """Exact one-sided p-value of "challenger is at least as accurate as leader" on paired outcomes.

    Conditional on the m cases where exactly one is right, the leader-only count is Binomial(m, p) with
    p <= 1/2 under that hypothesis; so P(Binomial(m, 1/2) >= observed) is a valid p-value.
    """
    counts = PairedCounts.of(leader, challenger)
    m = counts.a_only + counts.b_only
    return binom_sf(counts.a_only, m, 0.5) if m else 1.0


def schedule(min_cases: int, growth: float, n_max: int) -> list[int]:
    """Prefix sizes ``min_cases, min_cases·growth, ...`` up to and including ``n_max``."""
    if min_cases < 1 or growth <= 1:
        raise ConfigurationError(f"racing needs min_cases >= 1 and growth > 1; got {min_cases}, {growth}")
    sizes: list[int] = []
    n = float(min(min_cases, n_max))
    while True:
        size = min(n_max, math.ceil(n))
        if not sizes or size > sizes[-1]:
            sizes.append(size)
        if size >= n_max:
            return sizes
        n *= growth


@dataclass
class Racing(Strategy):
    """Paired racing with an (ε, δ) guarantee; see the module docstring.

    ``budget`` (calls) optionally stops the race early; the winner is then the current leader, without
    the guarantee, and the selection says so.
    """

    epsilon: float = 0.05
    delta: float = 0.05
    # Small first look and slow growth: weak candidates go after a handful of cases, and no candidate is
    # evaluated far past the n that decides it (doubling overshoots by up to 2×). Measured in
    # benchmarks/bench_search_simulated.py: 17–26% fewer calls than (16, 2.0), success within one point.
    min_cases: int = 8
    growth: float = 1.25
    budget: int | None = None
    correction: str = "bonferroni"
    name: str = "racing"

    def __post_init__(self) -> None:
        if not (0 <= self.epsilon < 1 and 0 < self.delta < 1):
            raise ConfigurationError(
                f"racing needs 0 <= epsilon < 1 and 0 < delta < 1; got {self.epsilon}, {self.delta}"
            )
        if self.correction not in ("bonferroni", "none"):
            raise ConfigurationError(
                f"racing correction must be 'bonferroni' or 'none', got {self.correction!r}"
            )

    async def run(self, candidates: Sequence[str], source: OutcomeSource) -> Selection:
        ids = list(candidates)
        sizes = schedule(self.min_cases, self.growth, source.n_available)
        # One one-sided test per (round, rival of the best candidate) must hold: a union bound over them.
        looks = len(sizes) * max(1, len(ids) - 1)
        alpha = self.delta / looks if self.correction == "bonferroni" else self.delta
        alive = list(ids)
        evaluated: dict[str, int] = {}
        eliminated: list[Elimination] = []
        rounds: list[dict[str, Any]] = []
        stopped = "validation split exhausted; the leader is the best observed, without the ε guarantee"
        leader = ids[0]
        for r, n in enumerate(sizes):
            if self.budget is not None and r > 0:
                cost = sum(n - evaluated.get(c, 0) for c in alive)
                if sum(evaluated.values()) + cost > self.budget:
                    stopped = (
                        f"call budget {self.budget} reached; the leader is the best observed, "
                        "without the ε guarantee"
                    )
                    break
            results = await source.outcomes(alive, n)
            for c in alive:
                evaluated[c] = n
            leader = _best(alive, results)
            survivors, bounds = [], {}
            for c in alive:
                if c == leader:
                    survivors.append(c)
                    continue
                p_value = sign_test_worse(results[c], results[leader])
                if p_value <= alpha:
                    eliminated.append(Elimination(c, n, leader, p_value))
                else:
                    bounds[c] = paired_upper_bound(PairedCounts.of(results[c], results[leader]), alpha)
                    survivors.append(c)
            alive = survivors
            rounds.append(
                {"n": n, "alive": len(alive), "leader": leader, "leader_accuracy": _accuracy(results[leader])}
            )
            if len(alive) == 1:
                stopped = "every rival was shown worse than the winner"
                break
            if all(bounds[c] <= self.epsilon for c in alive if c != leader):
                stopped = f"every survivor is within ε = {self.epsilon:g} of the winner"
                break
        return Selection(
            self.name,
            leader,
            evaluated,
            stopped,
            eliminated,
            rounds,
            settings={
                "epsilon": self.epsilon,
                "delta": self.delta,
                "min_cases": self.min_cases,
                "growth": self.growth,
                "budget": self.budget,
                "correction": self.correction,
                "alpha_per_test": alpha,
            },
        )


@dataclass
class SuccessiveHalving(Strategy):
    """Evaluate all on ``min_cases``, keep the best ``1/eta``, multiply n by ``eta``, repeat."""

    eta: float = 2.0
    min_cases: int = 16
    name: str = "halving"

    async def run(self, candidates: Sequence[str], source: OutcomeSource) -> Selection:
        alive = list(candidates)
        evaluated: dict[str, int] = {}
        rounds: list[dict[str, Any]] = []
        eliminated: list[Elimination] = []
        sizes = schedule(self.min_cases, self.eta, source.n_available)
        leader = alive[0]
        for n in sizes:
            results = await source.outcomes(alive, n)
            for c in alive:
                evaluated[c] = n
            ranked = sorted(alive, key=lambda c: (-_accuracy(results[c]), alive.index(c)))
            leader = ranked[0]
            keep = ranked if n == sizes[-1] else ranked[: max(1, math.ceil(len(alive) / self.eta))]
            for c in ranked[len(keep) :]:
                eliminated.append(
                    Elimination(c, n, leader, _accuracy(results[c]) - _accuracy(results[leader]))
                )
            alive = keep
            rounds.append(
                {"n": n, "alive": len(alive), "leader": leader, "leader_accuracy": _accuracy(results[leader])}
            )
            if len(alive) == 1:
                break
        return Selection(
            self.name,
            leader,
            evaluated,
            "halving finished",
            eliminated,
            rounds,
            settings={"eta": self.eta, "min_cases": self.min_cases},
        )

    def planned_calls(self, n_candidates: int, n_validation: int) -> int:
        total, alive = 0, n_candidates
        prev = 0
        for n in schedule(self.min_cases, self.eta, n_validation):
            total += alive * (n - prev)
            prev = n
            alive = max(1, math.ceil(alive / self.eta))
        return total


def make_strategy(kind: str, **options: Any) -> Strategy:
    """A strategy by name: ``grid``, ``random``, ``racing``, ``halving``."""
    table: dict[str, type[Strategy]] = {
        "grid": Grid,
        "random": RandomSearch,
        "racing": Racing,
        "halving": SuccessiveHalving,
    }
    if kind not in table:
        raise ConfigurationError(f"unknown search strategy {kind!r}; choose one of {sorted(table)}")
    try:
        return table[kind](**options)
    except TypeError as exc:
        raise ConfigurationError(f"bad options for strategy {kind!r}: {exc}") from None
