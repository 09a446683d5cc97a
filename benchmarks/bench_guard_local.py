"""Structured output on the embedded model: extract {name, age} as JSON from sentences, through a Guard.

Measures, for each configuration (no repair / repair; validate at the end / check prefixes while streaming):
acceptance rate, exact-match accuracy, model calls and tokens per accepted output, tokens not generated
thanks to early aborts, check time as a fraction of generation time, and time per prefix check.

Run: python benchmarks/bench_guard_local.py [--n 40] [--out benchmarks/results_guard.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from _results import cpu_name
from guardrail.checks import Check, Grammar, JSONSchema, Schema, Verdict
from guardrail.guard import Budget, Guard
from guardrail.models.local import LocalModel

NAMES = [
    "Alice",
    "Bruno",
    "Chen",
    "Dalia",
    "Emeka",
    "Farah",
    "Goran",
    "Hana",
    "Ivan",
    "Jonas",
    "Keiko",
    "Luis",
    "Mara",
    "Nils",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
]
CITIES = ["Lisbon", "Oslo", "Lagos", "Quito", "Hanoi", "Perth", "Tunis", "Graz"]
SHAPES = [
    "{name} is {age} years old and lives in {city}.",
    "At {age}, {name} moved to {city}.",
    "{name}, aged {age}, works in {city}.",
    "In {city} I met {name}, who had just turned {age}.",
    "My neighbour {name} celebrated turning {age} last week.",
]
PROMPT = (
    'Sentence: Yuki is 27 years old and lives in Kyoto.\nJSON: {"name": "Yuki", "age": 27}\n\n'
    'Sentence: At 64, Walter retired to Bruges.\nJSON: {"name": "Walter", "age": 64}\n\n'
    "Sentence: {{ sentence }}\nJSON:"
)


class Person(BaseModel):
    name: str = Field(min_length=1)
    age: int = Field(ge=0, le=130)


@dataclass
class Timed(Check):
    """Wraps a check and accumulates the time spent in it."""

    inner: Check
    check_s: float = 0.0
    viable_s: float = 0.0
    viable_calls: int = 0
    name: str = field(default="timed")

    def check(self, value: Any) -> Verdict:
        t = time.perf_counter()
        try:
            return self.inner.check(value)
        finally:
            self.check_s += time.perf_counter() - t

    def viable(self, prefix: str) -> bool:
        t = time.perf_counter()
        try:
            return self.inner.viable(prefix)
        finally:
            self.viable_s += time.perf_counter() - t
            self.viable_calls += 1


def cases(n: int, seed: int = 7) -> list[tuple[str, Person]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        name, city, age = rng.choice(NAMES), rng.choice(CITIES), rng.randint(18, 90)
        out.append((rng.choice(SHAPES).format(name=name, age=age, city=city), Person(name=name, age=age)))
    return out


SCHEMA_PROMPT = (
    'Schema: {"type": "object", "properties": {"id": {"type": "integer"}, "label": {"type": "string"}}, '
    '"required": ["id"]}\nJSON: {"id": 7, "label": "red"}\n\n'
    'Schema: {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}}\n'
    'JSON: {"tags": ["a", "b"]}\n\n'
    "Schema: {{ schema }}\nJSON:"
)
SCHEMABENCH = (
    Path(__file__).parents[2] / "shared" / "data" / "suites" / "jsonschemabench" / "Github_trivial.jsonl"
)
SCHEMABENCH_SUBSET = (
    Path(__file__).parents[1] / "tests" / "data" / "jsonschemabench" / "Github_trivial_first50.jsonl"
)


@dataclass(frozen=True)
class Task:
    """One case: the template's variables, its check, and the expected value (None: any accepted value)."""

    variables: dict[str, Any]
    check: Check
    truth: Any = None


def extraction_tasks(n: int) -> list[Task]:
    json_person = Grammar.from_file("json") >> Schema(Person)
    return [Task({"sentence": s}, json_person, truth) for s, truth in cases(n)]


def schemabench_tasks(n: int) -> list[Task]:
    source = SCHEMABENCH if SCHEMABENCH.exists() else SCHEMABENCH_SUBSET
    tasks: list[Task] = []
    grammar = Grammar.from_file("json")
    for line in source.read_text().splitlines():
        row = json.loads(line)
        schema = json.loads(row["json_schema"])
        compact = json.dumps(schema, separators=(", ", ": "))
        if len(compact) > 600:  # keep prompts well inside the 2048-token context
            continue
        tasks.append(Task({"schema": compact}, grammar >> JSONSchema(schema)))
        if len(tasks) == n:
            break
    return tasks


def run(
    model: LocalModel, template: str, tasks: list[Task], *, repair: bool, stream: bool, max_tokens: int
) -> dict[str, Any]:
    accepted = correct = calls = tokens = aborted = saved = viable_calls = 0
    gen_s = check_s = viable_s = 0.0
    for task in tasks:
        check = Timed(task.check)
        guard = Guard(
            model,
            template,
            check,
            repair="reask",
            budget=Budget(attempts=3 if repair else 1),
            max_tokens=max_tokens,
            stop=("\n",),
            stream=stream,
        )
        result = guard.run(**task.variables)
        calls += len(result.attempts)
        tokens += sum(a.completion.usage.completion_tokens for a in result.attempts if a.completion)
        aborted += sum(1 for a in result.attempts if a.aborted_at is not None)
        saved += result.tokens_saved_by_abort
        gen_s += sum(a.seconds for a in result.attempts)
        check_s += check.check_s + check.viable_s
        viable_s += check.viable_s
        viable_calls += check.viable_calls
        if result.ok:
            accepted += 1
            correct += int(task.truth is None or result.value == task.truth)
    return {
        "repair": repair,
        "stream": stream,
        "n": len(tasks),
        "accepted": accepted,
        "correct": correct,
        "calls": calls,
        "completion_tokens": tokens,
        "aborted_streams": aborted,
        "tokens_saved": saved,
        "calls_per_accepted": calls / accepted if accepted else float("nan"),
        "tokens_per_accepted": tokens / accepted if accepted else float("nan"),
        "check_fraction": check_s / (gen_s - check_s) if gen_s > check_s else float("nan"),
        "us_per_viable": 1e6 * viable_s / viable_calls if viable_calls else float("nan"),
        "gen_s": gen_s,
    }


def machine() -> str:
    cpu = cpu_name()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, load average at the end {load}"
    )


CONFIGS = [(False, False), (False, True), (True, False), (True, True)]


def table(title: str, rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        title,
        "",
        "| repair | streaming prefix checks | accepted | correct | calls | calls / accepted "
        "| tokens / accepted | streams cut | tokens not generated | check time / generation time "
        "| µs per prefix check |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {'reask ×3' if r['repair'] else 'none'} | {'yes' if r['stream'] else 'no (end only)'} "
            f"| {r['accepted']}/{r['n']} | {r['correct']}/{r['n']} | {r['calls']} "
            f"| {r['calls_per_accepted']:.2f} "
            f"| {r['tokens_per_accepted']:.1f} | {r['aborted_streams']} | {r['tokens_saved']} "
            f"| {r['check_fraction']:.2%} | {r['us_per_viable']:.0f} |"
        )
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results_guard.md"))
    parser.add_argument(
        "--tasks", default="AB", help="which tasks to run: A (extraction), B (JSONSchemaBench)"
    )
    args = parser.parse_args()
    model = LocalModel()
    model.load()
    extraction = extraction_tasks(args.n)
    schemas = schemabench_tasks(args.n)
    rows_a, rows_b = [], []
    for r, s in CONFIGS if "A" in args.tasks else []:
        rows_a.append(run(model, PROMPT, extraction, repair=r, stream=s, max_tokens=48))
        print("A", rows_a[-1], flush=True)
    for r, s in CONFIGS if "B" in args.tasks else []:
        rows_b.append(run(model, SCHEMA_PROMPT, schemas, repair=r, stream=s, max_tokens=96))
        print("B", rows_b[-1], flush=True)
    lines = [
        f"## Guard on the embedded model ({date.today().isoformat()}, {machine()})",
        "",
        "Greedy decoding, stop at newline, `benchmarks/bench_guard_local.py`. 'tokens not generated' counts, "
        "for streams cut early, max_tokens minus the tokens produced (an upper bound on what validating only "
        "at the end would have spent on those attempts).",
        "",
    ]
    if rows_a:
        title_a = f"### A. Extract `{{name, age}}` as JSON from {len(extraction)} generated sentences "
        lines += table(title_a + "(2-shot; json.lark >> pydantic)", rows_a)
    if rows_b:
        title_b = f"### B. JSONSchemaBench Github_trivial, first {len(schemas)} schemas under 600 characters "
        lines += table(title_b + "(2-shot; json.lark >> JSONSchema)", rows_b)
    text = "\n".join(lines)
    print(text)
    with args.out.open("a", encoding="utf-8") as f:  # several runs (e.g. --tasks A, then B) add up
        f.write(text + "\n")


if __name__ == "__main__":
    main()
