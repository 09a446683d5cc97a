"""Code2Inv benchmark for guardrail's loop-invariant synthesis.

Runs every program of the Code2Inv set (133 C programs, default /work/shared/data/invariants/code2inv) with

  (a) the data-driven proposer alone,
  (b) the embedded model (Gemma 3 270M through ``LocalModel``) plus the data-driven proposer,
  (c) an OpenAI-compatible model plus the data-driven proposer, when OPENAI_API_KEY (and optionally
      OPENAI_BASE_URL, OPENAI_MODEL) is set,

each within a per-problem wall-clock budget, and writes the figures with date and machine to
benchmarks/results_invariants.md (per-problem rows to a JSONL file beside it).

A program counts as solved only when ``certify`` proves the invariant on the C program; the invariant is
also re-checked against Code2Inv's own SMT-LIB template for the program (``c_smt2``), and that count is
reported too. Programs that are unsafe as written are found by bounded model checking (a concrete run
that ends in a failing assertion) and listed; no invariant exists for them.

    python benchmarks/bench_code2inv.py                       # modes a and b (b only if LocalModel loads)
    python benchmarks/bench_code2inv.py --modes a --limit 20  # quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import z3

from _results import cpu_name
from guardrail.invariants import (
    LoopProblem,
    SolveBudget,
    SolveResult,
    check_invariant,
    load_problem,
    solve,
)
from guardrail.invariants.proof import find_violation
from guardrail.models.base import Model

DEFAULT_DATA = Path("/work/shared/data/invariants/code2inv")
HERE = Path(__file__).resolve().parent
ANCHORS = "Code2Inv 106/133, ICE-DT 100/133, LoopInvGen 77/133, Lemur + GPT-4 107/133 (on the originals)"


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_name()}; "
        f"Python {platform.python_version()}, z3 {z3.get_version_string()}, "
        f"{platform.system()} {platform.release()}"
    )


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min)"


def programs(data: Path, limit: int | None) -> list[int]:
    numbers = sorted(int(p.stem) for p in (data / "c").glob("*.c") if p.stem.isdigit())
    return numbers[:limit] if limit else numbers


def unsafe_programs(data: Path, numbers: list[int], depth: int) -> dict[int, str]:
    found: dict[int, str] = {}
    for n in numbers:
        result = find_violation(load_problem(data / "c" / f"{n}.c"), max_depth=depth, budget_s=20)
        if result.violation is not None:
            found[n] = result.violation.describe()
    return found


def embedded_model() -> tuple[Model | None, str]:
    try:
        from guardrail.models.local import LocalModel

        return LocalModel(), "Gemma 3 270M (embedded, LocalModel)"
    except Exception as exc:  # any import or load failure means "not run", with the reason recorded
        return None, f"not run: {type(exc).__name__}: {exc}"


def openai_model() -> tuple[Model | None, str]:
    if not os.environ.get("OPENAI_API_KEY"):
        return None, "not run: no OPENAI_API_KEY configured"
    from guardrail.models.openai_model import OpenAIModel

    name = os.environ.get("OPENAI_MODEL", "gpt-4o-mini")
    where = os.environ.get("OPENAI_BASE_URL", "api.openai.com")
    return OpenAIModel(name), f"{name} at {where}"


def run_mode(
    label: str,
    numbers: list[int],
    data: Path,
    budget: SolveBudget,
    model: Model | None,
    chat: bool,
    log: Callable[[str], None],
    rows_out: Path,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with rows_out.open("a", encoding="utf-8") as sink:
        for n in numbers:
            problem = load_problem(data / "c" / f"{n}.c")
            started = time.monotonic()
            result = solve(problem, model=model, budget=budget, chat=chat)
            wall = time.monotonic() - started
            row = {"mode": label, "program": n, **result.to_dict(), "wall_seconds": round(wall, 3)}
            row["template_verified"] = _template_check(data, n, result)
            rows.append(row)
            sink.write(json.dumps(row) + "\n")
            sink.flush()
            log(f"[{label}] {n:>3} {result.outcome:<8} {wall:6.2f}s  {result.invariant_text or ''}")
    return rows


def _template_check(data: Path, n: int, result: SolveResult) -> bool | None:
    """The C-proven invariant, re-checked against Code2Inv's own SMT-LIB verification conditions."""
    if result.certificate is None:
        return None
    template = data / "c_smt2" / f"{n}.c.smt"
    if not template.exists():
        return None
    smt_problem: LoopProblem = load_problem(template)
    return check_invariant(smt_problem, result.certificate.invariant).proven


def summarize(
    label: str, description: str, rows: list[dict[str, Any]], unsafe: dict[int, str], total: int
) -> dict[str, Any]:
    solved = [r for r in rows if r["outcome"] == "solved"]
    times = [r["wall_seconds"] for r in rows]
    safe_total = total - len(unsafe)
    return {
        "mode": label,
        "model": description,
        "solved": len(solved),
        "total": total,
        "safe_total": safe_total,
        "unsafe_reported": sum(1 for r in rows if r["outcome"] == "unsafe"),
        "template_verified": sum(1 for r in solved if r["template_verified"]),
        "by_model": sum(1 for r in solved if r["found_by"] == "model"),
        "with_model_conjuncts": sum(1 for r in solved if r["found_by"] == "data-driven+model"),
        "model_calls": sum(r["model_calls"] for r in rows),
        "median_s": statistics.median(times) if times else 0.0,
        "mean_s": statistics.fmean(times) if times else 0.0,
        "max_s": max(times) if times else 0.0,
        "unsolved": [r["program"] for r in rows if r["outcome"] != "solved"],
    }


def write_results(
    path: Path,
    summaries: list[dict[str, Any]],
    unsafe: dict[int, str],
    budget: SolveBudget,
    started: str,
    rows_path: Path,
) -> None:
    lines = [
        "# Loop invariants: Code2Inv benchmark",
        "",
        f"- date: {started}",
        f"- machine: {machine()}",
        f"- load average when the results were written (other jobs share the cores): {_load()}",
        f"- budget per problem: {budget.seconds:.0f} s wall clock, Z3 query timeout {budget.timeout_ms} ms, "
        f"model calls per problem ≤ {budget.model_calls}",
        "- solved = invariant proven by three fresh Z3 queries on the C program (`certify`); "
        "'template-verified' = the same invariant also proven against Code2Inv's SMT-LIB template",
        f"- published anchors: {ANCHORS}",
        f"- per-problem rows: `{rows_path.name}`; produced by `benchmarks/bench_code2inv.py`",
        "",
        "| mode | model | solved | of safe | template-verified | unsafe reported | model-proven | "
        "with model conjuncts | model calls | median s | mean s | max s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        if "skipped" in s:
            lines.append(f"| {s['mode']} | {s['model']} | – | – | – | – | – | – | – | – | – | – |")
            continue
        lines.append(
            f"| {s['mode']} | {s['model']} | {s['solved']}/{s['total']} | {s['solved']}/{s['safe_total']} | "
            f"{s['template_verified']} | {s['unsafe_reported']} | {s['by_model']} | "
            f"{s['with_model_conjuncts']} | {s['model_calls']} | {s['median_s']:.2f} | {s['mean_s']:.2f} | "
            f"{s['max_s']:.2f} |"
        )
    lines += ["", f"## Unsafe as written ({len(unsafe)} programs, found by bounded model checking)", ""]
    lines += [f"- {n}.c: {why}" for n, why in sorted(unsafe.items())]
    lines += ["", "## Unsolved per mode", ""]
    for s in summaries:
        if "skipped" not in s:
            safe_unsolved = [n for n in s["unsolved"] if n not in unsafe]
            lines.append(
                f"- {s['mode']}: {s['unsolved'] or 'none'} (of them safe: {safe_unsolved or 'none'})"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--modes", default="a,b,c", help="comma-separated subset of a,b,c")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per problem")
    parser.add_argument("--model-calls", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="only the first N programs")
    parser.add_argument("--out", type=Path, default=HERE / "results_invariants.md")
    parser.add_argument("--bmc-depth", type=int, default=20)
    args = parser.parse_args(argv)

    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    numbers = programs(args.data, args.limit)
    rows_path = args.out.with_suffix(".jsonl")
    rows_path.write_text("", encoding="utf-8")

    def log(message: str) -> None:
        print(message, flush=True)

    log(f"{len(numbers)} programs; machine: {machine()}")
    unsafe = unsafe_programs(args.data, numbers, args.bmc_depth)
    log(f"unsafe as written: {sorted(unsafe)}")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    summaries: list[dict[str, Any]] = []
    for mode in ("a", "b", "c"):
        if mode not in modes:
            continue
        model: Model | None
        chat = False
        if mode == "a":
            model, description = None, "none (data-driven proposer alone)"
        elif mode == "b":
            model, description = embedded_model()
        else:
            model, description = openai_model()
            chat = os.environ.get("OPENAI_COMPLETIONS", "") == ""
        if mode != "a" and model is None:
            log(f"mode {mode}: {description}")
            summaries.append({"mode": mode, "model": description, "skipped": True})
            continue
        budget = SolveBudget(seconds=args.budget, model_calls=args.model_calls if model is not None else 0)
        rows = run_mode(mode, numbers, args.data, budget, model, chat, log, rows_path)
        summaries.append(summarize(mode, description, rows, unsafe, len(numbers)))
        log(json.dumps({k: v for k, v in summaries[-1].items() if k != "unsolved"}))
        write_results(args.out, summaries, unsafe, budget, started, rows_path)
    write_results(
        args.out,
        summaries,
        unsafe,
        SolveBudget(seconds=args.budget, model_calls=args.model_calls),
        started,
        rows_path,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
