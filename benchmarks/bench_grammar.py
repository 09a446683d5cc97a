"""Timings of the Grammar check; writes benchmarks/results_grammar.md.

Run: ``python benchmarks/bench_grammar.py`` (about a minute). Figures are CPU seconds of this process
(``time.process_time``), the best of a few repetitions, so that other work on a shared machine inflates
them as little as possible.

- streaming: real JSON documents (JSON Schemas from JSONSchemaBench, ../shared/data/suites) sent through
  ``Grammar.viable`` prefix by prefix, a token (4 characters) at a time, as the Guard does with a stream;
  compared with checking every prefix from scratch;
- whole outputs: ``Grammar.check`` time per KB for JSON documents of growing size (``json.loads`` for
  scale) and for a Racket program;
- hostile outputs: time to the rejecting verdict.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import random
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lark import Lark

from _results import cpu_name
from guardrail.checks.grammar import Grammar
from guardrail.checks.grammar.lr import LRDriver
from guardrail.checks.grammar.prefix import PrefixChecker
from guardrail.checks.grammar.tokens import TokenFollower
from guardrail.resources import available_grammars, grammar_path

RESULTS = Path(__file__).with_name("results_grammar.md")
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SCHEMAS = DATA / "suites" / "jsonschemabench" / "Github_easy.jsonl"
TOKEN_CHARS = 4  # a typical token is about four characters of English or JSON
STREAM_HEADER = "| document chars | viable calls | µs per call (one token) | from scratch, µs per call |"


def best(fn: Callable[[], Any], number: int = 1, repeat: int = 3) -> float:
    """CPU seconds per call: the best of ``repeat`` runs of ``number`` calls."""
    return min(timeit.repeat(fn, number=number, repeat=repeat, timer=time.process_time)) / number


def machine() -> str:
    cpu = cpu_name()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{now} on {cpu}, nproc={os.cpu_count()}, Python {platform.python_version()}, {platform.system()}"
        f" (load average at the start: {load})"
    )


def schema_documents(count: int) -> list[str]:
    """The ``count`` largest of the first 400 JSON Schemas in JSONSchemaBench Github_easy, as written."""
    with SCHEMAS.open(encoding="utf-8") as lines:
        texts = [json.loads(line)["json_schema"] for _, line in zip(range(400), lines, strict=False)]
    return sorted(texts, key=len, reverse=True)[:count]


def prefixes(text: str) -> list[str]:
    return [text[:end] for end in range(TOKEN_CHARS, len(text) + TOKEN_CHARS, TOKEN_CHARS)]


def stream_with(checker: Callable[[str], bool], text: str) -> bool:
    return all(checker(p) for p in prefixes(text))


def streaming_section(grammar_name: str, documents: list[str], from_scratch_limit: int) -> list[str]:
    lark = Grammar.from_file(grammar_name).lark
    driver = LRDriver(lark, "start")
    tokens = TokenFollower()  # the terminals' DFAs, shared as Grammar objects share them
    rows = []
    for text in documents:
        calls = len(prefixes(text))

        def incremental(text: str = text) -> bool:
            checker = PrefixChecker(driver, tokens)  # a fresh stream: nothing cached yet
            return stream_with(checker.viable, text)

        assert incremental()
        per_call = best(incremental) / calls
        if len(text) <= from_scratch_limit:

            def scratch(text: str = text) -> bool:
                return stream_with(lambda p: PrefixChecker(driver, tokens).viable(p), text)

            scratch_us = f"{best(scratch, repeat=1) / calls * 1e6:,.1f}"
        else:
            scratch_us = "(not run)"
        rows.append(f"| {len(text):,} | {calls:,} | {per_call * 1e6:,.1f} | {scratch_us} |")
    return rows


def generated_json(size: int) -> str:
    rng = random.Random(11)
    items: list[str] = []
    while sum(len(i) + 2 for i in items) < size:
        items.append(
            json.dumps(
                {
                    "id": len(items),
                    "name": f"user {rng.randrange(10**6)}",
                    "email": f"u{rng.randrange(10**6)}@example.org",
                    "score": round(rng.uniform(-100, 100), 3),
                    "active": rng.random() < 0.5,
                    "tags": rng.sample(["a", "b", "c", "d", "e"], 2),
                    "note": None,
                }
            )
        )
    return "[" + ",\n".join(items) + "]"


def racket_program(size: int) -> str:
    lines = ["#lang racket", "; generated for the benchmark"]
    i = 0
    while sum(len(line) + 1 for line in lines) < size:
        lines.append(f'(define (f{i} x [y {i}]) (if (> x y) (list x "x>y" #t) `(,y ,@(range {i}) #\\a)))')
        i += 1
    return "\n".join(lines) + "\n"


def check_rows(grammar: Grammar, texts: list[str], reference: Callable[[str], Any] | None) -> list[str]:
    rows = []
    for text in texts:
        assert grammar.check(text).ok
        seconds = best(lambda text=text: grammar.check(text))
        kb = len(text) / 1024
        ref = f"{best(lambda text=text: reference(text), number=10) * 1e3:.2f}" if reference else ""
        rows.append(f"| {kb:,.1f} | {seconds * 1e3:,.1f} | {seconds / kb * 1e3:,.2f} | {ref} |")
    return rows


def hostile_rows() -> list[str]:
    json_grammar = Grammar.from_file("json")
    extracting = Grammar.from_file("json", extract=True)
    sexpr = Grammar.from_file("sexpr")
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("1 MB of text (over the length limit)", lambda: json_grammar.check("x" * 1_000_000)),
        ("10,000 nested arrays", lambda: json_grammar.check("[" * 10_000 + "]" * 10_000)),
        ("10,000 nested objects", lambda: json_grammar.check('{"a":' * 10_000 + "1" + "}" * 10_000)),
        ("10,000 nested Racket lists", lambda: sexpr.check("(" * 10_000 + ")" * 10_000)),
        ('150 KB unterminated string `"aaa…`', lambda: json_grammar.check('"' + "a" * 150_000)),
        ('150 KB of backslashes `"\\\\\\…`', lambda: json_grammar.check('"' + "\\" * 150_001)),
        ("150 KB `[1,1,1,…` (75,000 tokens, no end)", lambda: json_grammar.check("[" + "1," * 75_000)),
        ("150 KB of digits then `e`", lambda: json_grammar.check("1" * 150_000 + "e")),
        ("150 KB `#|||…` unterminated comment", lambda: sexpr.check("#|" + "|" * 150_000)),
        ("viable: 150 KB unterminated string", lambda: Grammar.from_file("json").viable('"' + "a" * 150_000)),
        ("viable: 10,000 open brackets", lambda: Grammar.from_file("json").viable("[" * 10_000)),
        ('extract: 150 KB of `"`', lambda: extracting.check('"' * 150_000)),
        ('extract: `{"a": ` × 25,000', lambda: extracting.check('{"a": ' * 25_000)),
        ("extract: 150 KB of prose, then `[1]`", lambda: extracting.check("word " * 30_000 + "[1]")),
    ]
    rows = []
    for label, run in cases:
        verdict = run()
        outcome = "viable" if verdict is True else ("not viable" if verdict is False else _outcome(verdict))
        rows.append(f"| {label} | {best(run, repeat=2) * 1e3:,.1f} | {outcome} |")
    return rows


def _outcome(verdict: Any) -> str:
    if verdict.ok:
        return "accepted"
    return "rejected: " + verdict.errors[0].message[:60].replace("|", "\\|")


def compile_rows() -> list[str]:
    rows = []
    for name in available_grammars():
        text = grammar_path(name).read_text(encoding="utf-8")
        seconds = best(
            lambda text=text, name=name: Lark(
                text,
                parser="lalr",
                lexer="contextual",
                strict=True,
                regex=True,
                import_paths=[str(grammar_path(name).parent)],
            ),
            repeat=2,
        )
        rows.append(f"| {name} | {seconds * 1e3:,.0f} |")
    return rows


def main() -> None:
    documents = schema_documents(12)
    doc_chars = sum(len(d) for d in documents)
    out = [
        "# Grammar check benchmarks",
        "",
        f"Measured {machine()} by `python benchmarks/bench_grammar.py`.",
        "Figures are CPU time of the benchmark process, best of a few repetitions (the machine is shared:",
        "other jobs still slow it down through caches and memory bandwidth).",
        "",
        "## Prefix viability on a stream (json.lark)",
        "",
        "The 12 largest of the first 400 JSON Schemas of JSONSchemaBench Github_easy",
        f"({doc_chars:,} characters in all), streamed {TOKEN_CHARS} characters (one token) at a time:",
        "`viable` on every prefix, starting from an empty cache. `viable` resumes from the last decided",
        "token of the previous prefix; the last column checks every prefix from scratch instead (a new",
        "checker per call).",
        "",
        STREAM_HEADER,
        "|---:|---:|---:|---:|",
        *streaming_section("json", documents, from_scratch_limit=6_000),
        "",
        "## Prefix viability on a stream (sexpr.lark, a generated Racket program)",
        "",
        STREAM_HEADER,
        "|---:|---:|---:|---:|",
        *streaming_section(
            "sexpr", [racket_program(4_000), racket_program(40_000)], from_scratch_limit=4_500
        ),
        "",
        "## Whole outputs: Grammar.check (parse, depth check, transform to Python values)",
        "",
        "JSON arrays of generated records; `json.loads` (C) on the same text for scale.",
        "",
        "| KB | check ms | ms per KB | json.loads ms |",
        "|---:|---:|---:|---:|",
        *check_rows(
            Grammar.from_file("json"),
            [generated_json(n) for n in (1_000, 10_000, 100_000, 190_000)],
            json.loads,
        ),
        "",
        "A generated Racket program (sexpr.lark, value is the parse tree):",
        "",
        "| KB | check ms | ms per KB | |",
        "|---:|---:|---:|---:|",
        *check_rows(Grammar.from_file("sexpr"), [racket_program(10_000), racket_program(100_000)], None),
        "",
        "## Hostile outputs: time to the verdict",
        "",
        "| input | ms | outcome |",
        "|---|---:|---|",
        *hostile_rows(),
        "",
        "## Building the LALR parser (once per grammar; later Grammar objects reuse it)",
        "",
        "| grammar | ms |",
        "|---|---:|",
        *compile_rows(),
        "",
    ]
    RESULTS.write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
