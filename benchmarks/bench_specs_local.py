"""How often do the embedded model's spec proposals survive guardrail's checks?

Runs ``guardrail specs`` (``run_specs``) with the embedded Gemma 3 270M base model on eight small int
functions written for this benchmark (below), three proposals per function, and writes the outcome per
function, every answer with what the checks said, the model calls and the wall time (model loading
included) with date and machine to benchmarks/results_specs.md.

    GUARDRAIL_THREADS=1 nice python benchmarks/bench_specs_local.py
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

from rich.console import Console

from _results import machine
from guardrail.invariants.specs.command import run_specs

HERE = Path(__file__).resolve().parent
FUNCTIONS = '''"""Small functions for the spec-survival benchmark (written for guardrail)."""


def increment(x: int) -> int:
    return x + 1


def is_positive(n: int) -> bool:
    return n > 0


def maximum(a: int, b: int) -> int:
    if a > b:
        return a
    return b


def absolute(x: int) -> int:
    if x < 0:
        return -x
    return x


def double(x: int) -> int:
    return 2 * x


def sign(x: int) -> int:
    if x > 0:
        return 1
    if x < 0:
        return -1
    return 0


def count_down(n: int) -> int:
    steps = 0
    while n > 0:
        n -= 1
        steps += 1
    return steps


def minimum(a: int, b: int) -> int:
    if a < b:
        return a
    return b
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results_specs.md")
    args = parser.parse_args()

    from guardrail.models.local import LocalModel

    started = time.monotonic()
    model = LocalModel()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "simple.py"
        path.write_text(FUNCTIONS, encoding="utf-8")
        summary = run_specs(
            path, model, attempts=args.attempts, max_examples=100, console=Console(file=io.StringIO())
        )
    wall = time.monotonic() - started
    data = summary.to_dict()
    survived = [f for f in summary.functions if f.status in ("proven", "tested")]
    lines = [
        "# Specs proposed by the embedded model",
        "",
        f"Machine: {machine()}. Model: {data['model']}, {args.attempts} proposals per function.",
        "",
        f"**{len(survived)} of {len(summary.functions)} functions got a spec that survived the checks**; "
        f"{data['model_calls']} model calls, {wall:.0f} s wall time including loading the model.",
        "",
        "| function | outcome | spec (last judged) | answers → what the checks said |",
        "|---|---|---|---|",
    ]
    for f in summary.functions:
        spec = f"requires `{f.pre}`, ensures `{f.post}`" if f.pre is not None else ""
        said = "; ".join(
            f"`{str(a['answer']).replace(chr(10), ' / ').replace('|', '/')}` → {a['code'] or 'accepted'}"
            for a in f.answers
        )
        lines.append(f"| {f.function} | {f.status} | {spec.replace('|', '/')} | {said} |")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
