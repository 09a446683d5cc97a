"""Calls needed to pick a prompt within ε of the best with ≥ 95% probability: racing vs grid vs random.

Candidates are simulated with known accuracies (``REALISTIC_ACCURACIES``: 32 values spread like prompt
variants of a small base model, and optionally accuracies measured on the embedded model by
bench_search_local.py).
Each trial draws a fresh validation pool (cases shared by all candidates, correlated by a latent case
difficulty ``rho``) and a fresh order of the candidates (strategies break ties by order, so a fixed
best-first order would flatter them); a trial succeeds when the chosen candidate's true accuracy is within ε
of the best. All strategies see the same trials (common random numbers).

Two comparisons are reported:

* **cheapest sufficient**: for every strategy the validation size N is swept and the cheapest N whose
  success rate reaches 95% is taken: the grid is given its own best N, which nobody knows in practice;
* **same validation set**: every strategy on the same N (a grid is usually run on the whole validation
  split the user has), at each N where both reach 95%.

An oracle row evaluates only the truly best candidates (which no strategy knows in advance) on a common
set; it shows how much any method must spend on the close contenders.

    python benchmarks/bench_search_simulated.py            # ~10 minutes on 2 cores
    python benchmarks/bench_search_simulated.py --trials 50 --quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from _results import machine, write_section
from guardrail.search import (
    Grid,
    Racing,
    RandomSearch,
    Strategy,
    SuccessiveHalving,
)
from guardrail.search.simulate import REALISTIC_ACCURACIES, MatrixSource, simulate_outcomes

EPSILON = 0.05
TARGET = 0.95


@dataclass
class Point:
    strategy: str
    setting: str
    success: float
    mean_calls: float


def trial_accuracies(accuracies: Sequence[float], trial: int) -> list[float]:
    """The candidates in a fresh, seeded order for this trial."""
    order = np.random.default_rng(10_000 + trial).permutation(len(accuracies))
    return [accuracies[i] for i in order]


def run_trials(
    make: Callable[[int, int], Strategy], accuracies: Sequence[float], n: int, trials: int, rho: float
) -> tuple[float, float]:
    """Success rate and mean calls of ``make(trial, n)`` over ``trials`` fresh validation pools of size n."""
    best = max(accuracies)
    wins, calls = 0, 0
    for t in range(trials):
        shuffled = trial_accuracies(accuracies, t)
        source = MatrixSource(simulate_outcomes(shuffled, n, rho=rho, seed=1000 * n + t))
        selection = asyncio.run(make(t, n).run(source.ids, source))
        wins += shuffled[source.ids.index(selection.winner)] >= best - EPSILON - 1e-12
        calls += source.calls
    return wins / trials, calls / trials


def run_oracle(accuracies: Sequence[float], top: int, n: int, trials: int, rho: float) -> tuple[float, float]:
    """A grid over only the ``top`` truly best candidates."""
    best_first = sorted(accuracies, reverse=True)[:top]
    return run_trials(lambda t, n: Grid(), best_first, n, trials, rho)


def sweep(accuracies: Sequence[float], trials: int, rho: float, sizes: Sequence[int]) -> list[Point]:
    k = len(accuracies)
    makers: dict[str, Callable[[int, int], Strategy]] = {
        "grid": lambda t, n: Grid(),
        "racing (δ=0.05, Bonferroni: guaranteed)": lambda t, n: Racing(EPSILON, 0.05),
        "racing (δ=0.05 per look, as F-Race)": lambda t, n: Racing(EPSILON, 0.05, correction="none"),
        "racing per look, old schedule (from 16, ×2)": lambda t, n: Racing(
            EPSILON, 0.05, min_cases=16, growth=2.0, correction="none"
        ),
        "successive halving (η=2, from 16)": lambda t, n: SuccessiveHalving(eta=2, min_cases=16),
    }
    for fraction in (0.5, 0.75):
        m = max(1, round(k * fraction))
        # A different subset of candidates in every trial; the budget buys m candidates on all N cases.
        makers[f"random ({m} of {k} candidates)"] = lambda t, n, m=m: RandomSearch(budget=m * n, seed=t)
    points: list[Point] = []
    for name, make in makers.items():
        for n in sizes:
            success, calls = run_trials(make, accuracies, n, trials, rho)
            points.append(Point(name, f"N={n}", success, calls))
    top = min(k, 10)
    for n in sizes:
        success, calls = run_oracle(accuracies, top, n, trials, rho)
        points.append(Point(f"oracle: grid over the {top} truly best only", f"N={n}", success, calls))
    return points


def cheapest(points: Sequence[Point]) -> dict[str, Point | None]:
    out: dict[str, Point | None] = {}
    for p in points:
        out.setdefault(p.strategy, None)
        if p.success >= TARGET:
            current = out[p.strategy]
            if current is None or p.mean_calls < current.mean_calls:
                out[p.strategy] = p
    return out


def table(points: Sequence[Point], title: str) -> str:
    best = cheapest(points)
    grid = best.get("grid")
    lines = [
        f"#### {title}",
        "",
        "| strategy | cheapest setting with ≥ 95% success | success | mean calls | vs grid |",
        "|---|---|---|---|---|",
    ]
    for name, p in best.items():
        if p is None:
            lines.append(f"| {name} | none of the settings tried | – | – | – |")
            continue
        ratio = (
            "reference"
            if name == "grid"
            else (f"{grid.mean_calls / p.mean_calls:.1f}× fewer" if grid else "–")
        )
        lines.append(f"| {name} | {p.setting} | {p.success:.1%} | {p.mean_calls:,.0f} | {ratio} |")
    lines += [
        "",
        *same_validation_set(points),
        "",
        "<details><summary>all settings</summary>",
        "",
        "| strategy | setting | success | mean calls |",
        "|---|---|---|---|",
    ]
    lines += [f"| {p.strategy} | {p.setting} | {p.success:.1%} | {p.mean_calls:,.0f} |" for p in points]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def same_validation_set(points: Sequence[Point]) -> list[str]:
    """Calls against the grid's on the same N, at every N where the grid reaches the target."""
    by = {(p.strategy, p.setting): p for p in points}
    names = [
        name
        for name in dict.fromkeys(p.strategy for p in points)
        if name != "grid" and not name.startswith("oracle")
    ]
    settings = [p.setting for p in points if p.strategy == "grid" and p.success >= TARGET]
    lines = [
        "Same validation set (every strategy on the grid's N; × = grid calls / strategy calls; "
        "success in brackets, * when under 95%):",
        "",
        "| N | grid calls | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for setting in settings:
        grid = by[("grid", setting)]
        cells = []
        for name in names:
            p = by[(name, setting)]
            flag = "" if p.success >= TARGET else "*"
            cells.append(f"{grid.mean_calls / p.mean_calls:.1f}× ({p.success:.0%}{flag})")
        lines.append(f"| {setting.removeprefix('N=')} | {grid.mean_calls:,.0f} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="fewer validation sizes")
    parser.add_argument(
        "--measured",
        type=Path,
        default=Path(__file__).parent / "measured_sst2_accuracies.json",
        help="accuracies measured by bench_search_local.py (used when the file exists)",
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    sizes = [50, 100, 200] if args.quick else [25, 50, 75, 100, 125, 150, 200, 300, 400]
    spreads: list[tuple[str, list[float]]] = [("32 realistic accuracies (0–82%)", list(REALISTIC_ACCURACIES))]
    if args.measured.exists():
        measured = json.loads(args.measured.read_text())
        spreads.append(
            (
                f"{len(measured['accuracies'])} accuracies measured on the embedded model "
                f"({measured['source']})",
                [float(a) for a in measured["accuracies"]],
            )
        )
    started = time.perf_counter()
    sections = [
        "## Simulated candidates: calls to pick a prompt within ε = 0.05 of the best with ≥ 95% probability",
        "",
        f"Machine: {machine()}. {args.trials} trials per setting; a trial draws a fresh validation pool",
        "and a fresh order of the candidates.",
        "`rho` is how strongly candidates agree on which cases are hard (0 = independent, the worst case",
        "for paired statistics). Calls are validation calls (the test read is the same for every strategy).",
        "",
    ]
    for title, accuracies in spreads:
        for rho in (0.7, 0.0):
            points = sweep(accuracies, args.trials, rho, sizes)
            sections.append(table(points, f"{title}, rho = {rho}"))
            print(sections[-1], flush=True)
    sections.append(f"Run time {time.perf_counter() - started:.0f} s.")
    if not args.no_write:
        write_section("simulated", "\n".join(sections))


if __name__ == "__main__":
    main()
