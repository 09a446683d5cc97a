"""The embedded model on shipped suites: test accuracy of the chosen prompt and calls spent, per strategy.

Every strategy searches the same prompt space on the same splits. One model cache is shared, so the grid's
answers serve the other strategies too: "calls spent" is what each strategy would have spent alone (its
validation calls plus the test read of its winner), and the physical model calls of the whole run are
reported separately. The grid's per-candidate accuracies on SST-2 are also written to
``measured_sst2_accuracies.json`` for bench_search_simulated.py.

    python benchmarks/bench_search_local.py                       # SST-2, no physical grid run
    python benchmarks/bench_search_local.py --grid --suites sst2,arithmetic   # ~15 min on 2 idle cores

By default the grid is not run (its cost is known: candidates × validation + test) and the model cache is
guardrail's default one, so a previous ``guardrail search prompts/studies/sst2.yaml`` serves many calls.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from _results import machine, write_section
from guardrail.models import Cached
from guardrail.models.local import LocalModel
from guardrail.resources import prompts_dir
from guardrail.search import PromptSpace, Study, StudyConfig

HERE = Path(__file__).parent
SHARED = Path("/work/shared/data/suites")

STRATEGIES: dict[str, dict[str, Any]] = {
    "grid": {"kind": "grid"},
    "racing (δ=0.05, Bonferroni)": {"kind": "racing", "epsilon": 0.05, "delta": 0.05},
    "racing (δ=0.05 per look)": {"kind": "racing", "epsilon": 0.05, "delta": 0.05, "correction": "none"},
    "successive halving": {"kind": "halving", "eta": 2, "min_cases": 16},
    "random (¼ of the grid)": {"kind": "random", "budget": 0, "seed": 0},
}


def suites(validation: int, test: int) -> dict[str, dict[str, Any]]:
    data = prompts_dir() / "suites" / "sst2"
    # Suites without a separate few-shot file: a fifth of the cases is the few-shot pool.
    with_pool = {"train": 0.2, "validation": 0.4, "test": 0.4, "validation_max": validation, "test_max": test}
    return {
        "sst2": {
            "suite": {
                "path": str(data / "stsa.binary.dev"),
                "format": "sst2",
                "train": {"path": str(data / "stsa.binary.train600"), "format": "sst2"},
            },
            "space": str(prompts_dir() / "spaces" / "sst2.yaml"),
            "splits": {"validation": 0.5, "test": 0.5, "validation_max": validation, "test_max": test},
        },
        "arithmetic": {
            "suite": {
                "path": str(SHARED / "bigbench" / "arithmetic_2_digit_addition.json"),
                "format": "bigbench",
            },
            "space": str(prompts_dir() / "spaces" / "arithmetic.yaml"),
            "splits": with_pool,
        },
        **{
            f"bbh_{task}": {
                "suite": {"path": str(SHARED / "bbh" / f"{task}.json"), "format": "bbh"},
                "space": str(prompts_dir() / "spaces" / "bbh.yaml"),
                "splits": with_pool,
            }
            for task in ("boolean_expressions", "sports_understanding")
        },
        "capitals": {
            "suite": {
                "path": str(SHARED / "country_capitals" / "country-by-capital-city.json"),
                "format": "country_capitals",
            },
            "space": str(prompts_dir() / "spaces" / "capitals.yaml"),
            "splits": {**with_pool, "stratify": False},
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suites", default="sst2")
    parser.add_argument("--grid", action="store_true", help="also run the full grid (expensive)")
    parser.add_argument(
        "--random", action="store_true", help="also run random search (a quarter of the grid)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="llama.cpp threads; 1 is far faster when other processes share the CPU",
    )
    parser.add_argument("--cache", type=Path, default=None, help="model cache file (default: guardrail's)")
    parser.add_argument("--validation", type=int, default=64)
    parser.add_argument("--test", type=int, default=150)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="guardrail-bench-search-"))
    model = Cached(LocalModel(n_threads=args.threads), args.cache)
    started = time.perf_counter()
    lines = [
        "## The embedded model on shipped suites",
        "",
        f"Machine: {machine()}. Model: Gemma 3 270M (base, Q4_K_M) through llama-cpp-python, greedy.",
        f"Validation capped at {args.validation} cases, test at {args.test}; one shared model cache, so the",
        "calls column is what each strategy would spend alone (validation + its winner's test read).",
        "",
        "| suite | candidates | strategy | winner | validation acc | test acc [95% CI] | calls spent "
        "| grid calls |",
        "|---|---|---|---|---|---|---|---|",
    ]
    table = suites(args.validation, args.test)
    for name in args.suites.split(","):
        spec = table[name]
        size = PromptSpace.from_yaml(spec["space"]).size
        for label, strategy in STRATEGIES.items():
            if (strategy["kind"] == "grid" and not args.grid) or (
                strategy["kind"] == "random" and not args.random
            ):
                continue
            strategy = dict(strategy)
            if strategy["kind"] == "random":
                strategy["budget"] = max(1, size // 4) * args.validation
            config = StudyConfig.model_validate(
                {
                    "name": f"{name}-{label.split()[0]}",
                    **spec,
                    "strategy": strategy,
                    "model": "local",
                    "concurrency": 1,
                    "cache": False,
                    "output": str(work / name / label.split()[0]),
                }
            )
            result = Study(config, model_factory=lambda spec: model).run()
            w = result.winner
            test = f"{w.test.estimate:.1%} [{w.test.low:.1%}, {w.test.high:.1%}]" if w.test else "–"
            lines.append(
                f"| {name} | {len(result.candidates)} | {label} | {w.label} | {w.interval.estimate:.1%} "
                f"(n={w.n}) | {test} (n={w.test_n}) | {result.calls_spent:,} | {result.grid_calls:,} |"
            )
            print(lines[-1], flush=True)
            measured_by = "grid" if args.grid else "racing"
            if name == "sst2" and strategy["kind"] == measured_by and strategy.get("correction") != "none":
                # Racing's estimates use each candidate's own cases (fewer for those dropped early).
                accuracies = [r.interval.estimate for r in result.candidates if r.n]
                (HERE / "measured_sst2_accuracies.json").write_text(
                    json.dumps(
                        {
                            "source": f"SST-2, shipped 36-variant space, {measured_by} on up to "
                            f"{args.validation} validation cases, {time.strftime('%Y-%m-%d')}",
                            "accuracies": sorted(accuracies, reverse=True),
                        },
                        indent=1,
                    )
                    + "\n"
                )
    stats = model.stats()
    lines += [
        "",
        f"Physical model calls in the whole run: {stats.misses:,} (cache hits {stats.hits:,}); "
        f"wall time {time.perf_counter() - started:.0f} s.",
    ]
    model.close()
    if not args.no_write:
        write_section("local", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
