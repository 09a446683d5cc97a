"""Calls needed to pick a prompt within ε of the best with ≥ 95% probability: racing vs grid vs random.

Candidates are simulated with known accuracies (``REALISTIC_ACCURACIES``: 32 values spread like prompt
variants of a small base model, and optionally accuracies measured on the embedded model by
bench_search_local.py).
Each trial draws a fresh validation pool (cases shared by all candidates, correlated by a latent case
difficulty ``rho``); a trial succeeds when the chosen candidate's true accuracy is within ε of the best.
For every strategy the cost knob is swept (validation size N; for random search also the number of candidates
drawn) and the cheapest setting whose success rate reaches 95% is reported, with the grid's cheapest as the
reference. All strategies see the same trials (common random numbers).

    python benchmarks/bench_search_simulated.py            # ~5 minutes on 2 cores
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

from _results import machine, write_section
from guardrail.search import (
    REALISTIC_ACCURACIES,
    Grid,
    MatrixSource,
    Racing,
    RandomSearch,
    Strategy,
    SuccessiveHalving,
    simulate_outcomes,
)

EPSILON = 0.05
TARGET = 0.95


@dataclass
class Point:
    strategy: str
    setting: str
    success: float
    mean_calls: float


def run_trials(
    make: Callable[[], Strategy], accuracies: Sequence[float], n: int, trials: int, rho: float, seed0: int
) -> tuple[float, float]:
    best = max(accuracies)
    wins, calls = 0, 0
    for t in range(trials):
        source = MatrixSource(simulate_outcomes(accuracies, n, rho=rho, seed=seed0 + t))
        selection = asyncio.run(make().run(source.ids, source))
        wins += accuracies[source.ids.index(selection.winner)] >= best - EPSILON - 1e-12
        calls += source.calls
    return wins / trials, calls / trials


def sweep(accuracies: Sequence[float], trials: int, rho: float, sizes: Sequence[int]) -> list[Point]:
    k = len(accuracies)
    points: list[Point] = []
    makers: dict[str, Callable[[int], Callable[[], Strategy]]] = {
        "grid": lambda n: Grid,
        "racing (δ=0.05, Bonferroni: guaranteed)": lambda n: lambda: Racing(EPSILON, 0.05, min_cases=16),
        "racing (δ=0.05 per look, as F-Race)": lambda n: (
            lambda: Racing(EPSILON, 0.05, min_cases=16, correction="none")
        ),
        "successive halving (η=2, from 16)": lambda n: lambda: SuccessiveHalving(eta=2, min_cases=16),
    }
    for name, maker in makers.items():
        for n in sizes:
            success, calls = run_trials(maker(n), accuracies, n, trials, rho, seed0=1000 * n)
            points.append(Point(name, f"N={n}", success, calls))
    for fraction in (0.5, 0.75):
        m = max(1, round(k * fraction))
        for n in sizes:
            success, calls = run_random(accuracies, n, m, trials, rho)
            points.append(Point(f"random ({m} of {k} candidates)", f"N={n}", success, calls))
    return points


def run_random(accuracies: Sequence[float], n: int, m: int, trials: int, rho: float) -> tuple[float, float]:
    """Random search drawing a different subset of candidates in every trial."""
    best = max(accuracies)
    wins, calls = 0, 0
    for t in range(trials):
        source = MatrixSource(simulate_outcomes(accuracies, n, rho=rho, seed=1000 * n + t))
        selection = asyncio.run(RandomSearch(budget=m * n, seed=t).run(source.ids, source))
        wins += accuracies[source.ids.index(selection.winner)] >= best - EPSILON - 1e-12
        calls += source.calls
    return wins / trials, calls / trials


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
        "<details><summary>all settings</summary>",
        "",
        "| strategy | setting | success | mean calls |",
        "|---|---|---|---|",
    ]
    lines += [f"| {p.strategy} | {p.setting} | {p.success:.1%} | {p.mean_calls:,.0f} |" for p in points]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


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
    sizes = [50, 100, 200] if args.quick else [50, 75, 100, 150, 200, 300, 400]
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
        f"Machine: {machine()}. {args.trials} trials per setting; a trial draws a fresh validation pool.",
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
