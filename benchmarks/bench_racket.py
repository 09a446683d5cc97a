"""Racket end to end: the runner's cost per program, and the Racket study on a model.

    python benchmarks/bench_racket.py                       # embedded model, the study as shipped
    python benchmarks/bench_racket.py --model http://HOST/v1 --validation-max 20 --test-max 21

Writes the "racket" section of results_racket.md (then run collect_results.py for RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from _results import machine, write_section
from guardrail.search.study import Study
from guardrail.suites.code_tests import RacketAgainstTests
from guardrail.suites.loaders import load_suite

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results_racket.md"


def runner_costs() -> str:
    suite = load_suite(ROOT / "prompts/suites/racket/tasks.yaml", "yaml", expected="tests")
    scorer = RacketAgainstTests(define_only=True)
    seconds, passed = [], 0
    for case in suite:
        started = time.perf_counter()
        passed += scorer.score(case.solution or "", case).ok
        seconds.append(time.perf_counter() - started)
    return (
        "Reference solutions through the scorer (grammar, then real Racket in the sandbox): "
        f"{passed}/{len(suite)} pass; {statistics.median(seconds):.2f} s median per program "
        f"(min {min(seconds):.2f}, max {max(seconds):.2f})."
    )


def _reached_racket(results: Path) -> dict[str, int]:
    """Validation outputs per candidate that passed the grammar and the define-only rule (ran in Racket)."""
    counts: dict[str, int] = {}
    for line in results.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        detail = str(row.get("detail") or "")
        rejected_as_text = any(word in detail for word in ("grammar", "definition", "#lang"))
        if row["split"] == "validation" and (row["correct"] or not rejected_as_text):
            counts[row["candidate"]] = counts.get(row["candidate"], 0) + 1
    return counts


def study(
    model: str | None, validation_max: int | None, test_max: int | None
) -> tuple[str, dict[str, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        st = Study.from_yaml(ROOT / "prompts/studies/racket.yaml", output=Path(tmp) / "racket")
        update: dict[str, object] = {"cache": False}  # a run time, not a cache read
        if model:
            update["model"] = model
        splits = {k: v for k, v in (("validation_max", validation_max), ("test_max", test_max)) if v}
        if splits:
            update["splits"] = st.config.splits.model_copy(update=splits)
        st.config = st.config.model_copy(update=update)
        started = time.perf_counter()
        result = st.run()
        elapsed = time.perf_counter() - started
        summary = result.summary()
        reached = _reached_racket(result.folder / "results.jsonl")
    rows = [
        "| candidate | validation pass@1 | 95% interval | n | well-formed, ran in Racket |",
        "|---|---|---|---|---|",
    ]
    for c in sorted(result.candidates, key=lambda c: -c.interval.estimate):
        low, high = c.interval.low, c.interval.high
        ran = reached.get(c.id, 0)
        rows.append(
            f"| {c.label} | {c.interval.estimate:.1%} | [{low:.1%}, {high:.1%}] | {c.n} | {ran}/{c.n} |"
        )
    test = result.winner.test
    test_text = (
        "not read"
        if test is None
        else f"{test.estimate:.1%} [{test.low:.1%}, {test.high:.1%}], n={result.winner.test_n}"
    )
    text = (
        f"Model `{st.config.model}`; {summary['calls_spent']} calls in {elapsed / 60:.1f} min "
        f"(load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}). Winner "
        f"`{result.winner.label}`, test pass@1 {test_text}.\n\n" + "\n".join(rows)
    )
    return text, summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    parser.add_argument("--validation-max", type=int)
    parser.add_argument("--test-max", type=int)
    parser.add_argument("--skip-runner", action="store_true")
    args = parser.parse_args()
    header = f"## Racket (`benchmarks/bench_racket.py`, {machine()})"
    if not args.skip_runner:
        write_section("racket-runner", f"{header}\n\n{runner_costs()}", RESULTS)
    text, summary = study(args.model, args.validation_max, args.test_max)
    title = (
        "### The Racket study (`prompts/studies/racket.yaml`, greedy, define-only, no extraction, no cache)"
    )
    write_section("racket-study", f"{title}\n\n{text}", RESULTS)
    print(json.dumps(summary, default=str)[:2000])


if __name__ == "__main__":
    main()
