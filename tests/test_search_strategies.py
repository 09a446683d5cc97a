"""Strategies on simulated candidates with known accuracies."""

from __future__ import annotations

import numpy as np
import pytest

from guardrail.errors import ConfigurationError
from guardrail.search import (
    Grid,
    Racing,
    RandomSearch,
    SuccessiveHalving,
    make_strategy,
)
from guardrail.search.simulate import REALISTIC_ACCURACIES, MatrixSource, simulate_outcomes
from guardrail.search.strategies import schedule


def test_schedule_grows_geometrically_and_ends_at_n_max() -> None:
    assert schedule(16, 2.0, 128) == [16, 32, 64, 128]
    assert schedule(16, 2.0, 100) == [16, 32, 64, 100]
    assert schedule(50, 2.0, 20) == [20]
    # Racing's default: a first look at 8 cases, then 25% more per look, never repeating a size.
    assert schedule(8, 1.25, 64) == [8, 10, 13, 16, 20, 25, 31, 39, 48, 60, 64]


def test_simulated_accuracies_match_their_targets() -> None:
    matrix = simulate_outcomes([0.2, 0.5, 0.9], 20_000, rho=0.7, seed=0)
    assert matrix.mean(axis=1) == pytest.approx([0.2, 0.5, 0.9], abs=0.01)


async def test_grid_picks_the_best_observed_and_spends_everything() -> None:
    matrix = simulate_outcomes([0.3, 0.9, 0.5], 200, seed=1)
    source = MatrixSource(matrix)
    selection = await Grid().run(source.ids, source)
    assert selection.winner == source.ids[int(np.argmax(matrix.mean(axis=1)))]
    assert selection.calls == source.calls == 600


async def test_racing_finds_a_planted_best_with_fewer_calls() -> None:
    accuracies = [0.1, 0.85, 0.5, 0.45, 0.3, 0.6, 0.2, 0.55]
    source = MatrixSource(simulate_outcomes(accuracies, 256, seed=2))
    selection = await Racing(epsilon=0.05, delta=0.05, min_cases=16).run(source.ids, source)
    assert selection.winner == source.ids[1]
    assert selection.calls == source.calls < 8 * 256 / 2
    assert {e.candidate for e in selection.eliminated} >= {source.ids[0], source.ids[6]}
    assert all(e.evidence <= selection.settings["alpha_per_test"] for e in selection.eliminated)


async def test_racing_never_drops_the_best_across_seeds() -> None:
    accuracies = list(REALISTIC_ACCURACIES)
    best = source_best = 0
    for seed in range(15):
        source = MatrixSource(simulate_outcomes(accuracies, 128, seed=seed))
        selection = await Racing().run(source.ids, source)
        source_best = int(np.argmax(accuracies))
        best += source.ids[source_best] not in {e.candidate for e in selection.eliminated}
    assert best == 15


async def test_racing_respects_a_call_budget() -> None:
    source = MatrixSource(simulate_outcomes(list(REALISTIC_ACCURACIES), 256, seed=0))
    selection = await Racing(min_cases=16, budget=900).run(source.ids, source)
    assert source.calls <= 900
    assert "budget" in selection.stopped


async def test_random_search_evaluates_what_the_budget_allows() -> None:
    source = MatrixSource(simulate_outcomes([0.5] * 10, 50, seed=0))
    selection = await RandomSearch(budget=160, seed=4).run(source.ids, source)
    assert len(selection.evaluated) == 3 and source.calls == 150
    again = await RandomSearch(budget=160, seed=4).run(source.ids, MatrixSource(source.matrix))
    assert again.evaluated == selection.evaluated


async def test_successive_halving_keeps_the_better_half() -> None:
    accuracies = [0.2, 0.3, 0.4, 0.9, 0.5, 0.6, 0.35, 0.25]
    source = MatrixSource(simulate_outcomes(accuracies, 128, seed=3))
    strategy = SuccessiveHalving(eta=2, min_cases=16)
    selection = await strategy.run(source.ids, source)
    assert selection.winner == source.ids[3]
    assert [r["alive"] for r in selection.rounds] == [4, 2, 1]
    assert source.calls == 8 * 16 + 4 * (32 - 16) + 2 * (64 - 32)
    assert strategy.planned_calls(8, 128) >= source.calls


def test_make_strategy_validates() -> None:
    assert isinstance(make_strategy("racing", epsilon=0.1), Racing)
    with pytest.raises(ConfigurationError, match="unknown search strategy"):
        make_strategy("bayesian")
    with pytest.raises(ConfigurationError, match="bad options"):
        make_strategy("grid", epsilon=0.1)
    with pytest.raises(ConfigurationError):
        Racing(delta=0)
