"""Timings of the Automaton, Schema and Predicate checks; writes benchmarks/results_checks.md.

Run: ``python benchmarks/bench_checks.py`` (about half a minute). Each figure is the best of several
repetitions (``timeit``), so it measures the code, not the noise of a shared machine.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import timeit
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from _results import cpu_name
from guardrail.checks.automaton import Automaton
from guardrail.checks.predicate import Predicate
from guardrail.checks.schema import Schema, ToolCalls
from guardrail.models.types import ToolCall

RESULTS = Path(__file__).with_name("results_checks.md")

EMAIL = r"[a-zA-Z0-9._%+-]+@[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*\.[a-zA-Z]{2,}"
JSON_NUMBER = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?"
JSON_STRING = r'"([^"\\]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"'
TOKEN_CHARS = 4  # a typical token is about four characters of English or JSON


class Address(BaseModel):
    street: str
    city: str
    zip: str = Field(pattern=r"^[0-9]{5}$")


class Person(BaseModel):
    name: str
    age: int = Field(ge=0, le=150)
    email: str
    tags: list[str]
    address: Address


class Search(BaseModel):
    query: str
    limit: int = 10


def best(fn: Callable[[], Any], number: int = 1, repeat: int = 5) -> float:
    """Seconds per call: the best of ``repeat`` runs of ``number`` calls."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def machine() -> str:
    cpu = cpu_name()
    return f"{cpu}, nproc={os.cpu_count()}, Python {platform.python_version()}, {platform.system()}"


def automaton_rows() -> list[str]:
    rows = []
    cases = {
        "email": (EMAIL, "x" * 10_230 + "@example.com"),
        "JSON number": (JSON_NUMBER, "-" + "1234567890" * 1_024 + ".5e+10"),
        "JSON string": (JSON_STRING, '"' + 'ab\\"c\\u00e9 ' * 1_000 + '"'),
    }
    for label, (pattern, text) in cases.items():
        build = best(partial(Automaton.regex, pattern), repeat=3)
        automaton = Automaton.regex(pattern)
        assert automaton.accepts(text), label
        n = len(text)
        whole = best(partial(automaton.check, text), number=5)

        def cold(a: Automaton = automaton, t: str = text) -> None:
            a.viable("")  # so the next call walks the whole text instead of resuming where the last ended
            a.viable(t)

        cold_seconds = best(cold, number=5)

        prefixes = [text[:i] for i in range(TOKEN_CHARS, n + 1, TOKEN_CHARS)]

        def stream(a: Automaton = automaton, ps: list[str] = prefixes) -> None:
            a.viable("")  # a new stream starts from the empty prefix
            for p in ps:
                a.viable(p)

        streamed = best(stream, repeat=3)
        rows.append(
            f"| {label} | {n:,} | {build * 1e3:.1f} | {whole / n * 1e9:.0f} | {cold_seconds / n * 1e9:.0f} "
            f"| {streamed / len(prefixes) * 1e6:.2f} | {streamed / n * 1e9:.0f} |"
        )
    return rows


def bait_rows() -> list[str]:
    bait = Automaton.regex(r"(a+)+$")
    rows = []
    for n in (18, 20, 22):
        text = "a" * n + "!"
        backtracking = best(partial(re.fullmatch, r"(a+)+$", text), repeat=1)
        dfa = best(partial(bait.check, text), number=100)
        rows.append(f"| {n} | {backtracking * 1e3:.1f} | {dfa * 1e6:.1f} |")
    big = "a" * 199_999 + "!"
    dfa_big = best(lambda: bait.check(big), repeat=3)
    rows.append(f"| 199,999 | (not attempted) | {dfa_big * 1e6:.0f} |")
    return rows


def people(count: int) -> str:
    person = {
        "name": "Ada Lovelace",
        "age": 36,
        "email": "ada@example.org",
        "tags": ["math", "engines", "poetry"],
        "address": {"street": "12 St James's Square", "city": "London", "zip": "12345"},
    }
    return json.dumps([person] * count)


def schema_rows() -> list[str]:
    rows = []
    schema = Schema(list[Person])
    for count in (1, 10, 100, 1_000):
        text = people(count)
        parsed = json.loads(text)
        assert schema.check(text).ok
        kb = len(text.encode()) / 1024
        as_text = best(partial(schema.check, text), number=10 if count < 1_000 else 2)
        as_value = best(partial(schema.check, parsed), number=10 if count < 1_000 else 2)
        per_kb_text, per_kb_value = as_text / kb * 1e6, as_value / kb * 1e6
        row = f"| {count:,} | {kb:.1f} | {as_text * 1e6:.0f} | {per_kb_text:.0f} | {per_kb_value:.0f} |"
        rows.append(row)
    return rows


def other_rows() -> list[str]:
    tools = ToolCalls([("search", Search)])
    call = [ToolCall(name="search", arguments='{"query": "pydantic validation", "limit": 3}')]
    deep = "[" * 10_000 + "]" * 10_000
    predicate = Predicate(lambda s: s.startswith("(define") or "Begin with (define.")
    converter = Predicate.map(int)
    schema = Schema(Person)
    megabyte = "a" * 1_000_000
    figures = {
        "ToolCalls.check, one call": best(lambda: tools.check(call), number=1_000),
        "Schema.check, 10,000-deep nesting (rejected)": best(lambda: schema.check(deep), number=100),
        "Schema.check, 1 MB string (rejected as too long)": best(lambda: schema.check(megabyte), number=100),
        "Predicate.check, accepted": best(lambda: predicate.check("(define (f x) x)"), number=10_000),
        "Predicate.map(int), rejected (exception)": best(lambda: converter.check("forty"), number=10_000),
    }
    return [f"| {label} | {seconds * 1e6:.1f} |" for label, seconds in figures.items()]


def main() -> None:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Check benchmarks: Automaton, Schema, Predicate",
        "",
        f"Measured {now} on {machine()} by `python benchmarks/bench_checks.py`.",
        "Each figure is the best of several repetitions. The machine is shared, so expect some noise.",
        "",
        "## Automaton (DFA walk; regex compiled by interegular)",
        "",
        f"`viable` streamed: a fresh stream, then every prefix growing by {TOKEN_CHARS} characters "
        "(one token);",
        "`viable` resumes from the last prefix it saw, so the whole stream costs one walk of the text.",
        "",
        "| pattern | chars | build ms | check ns/char | viable(whole text) ns/char "
        "| streamed viable µs/call | streamed viable ns/char |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *automaton_rows(),
        "",
        "## Backtracking bait: `(a+)+$` against `'a' * n + '!'`",
        "",
        "| n | Python `re.fullmatch` ms | Automaton.check µs |",
        "|---:|---:|---:|",
        *bait_rows(),
        "",
        "## Schema on `list[Person]` (nested model, constraints)",
        "",
        "| people | KB | check(JSON text) µs | µs per KB (text) | µs per KB (parsed value) |",
        "|---:|---:|---:|---:|---:|",
        *schema_rows(),
        "",
        "## Other checks",
        "",
        "| what | µs per call |",
        "|---|---:|",
        *other_rows(),
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
