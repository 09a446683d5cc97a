"""Checks do work linear in the output: doubling a hostile output at most doubles the work (plus slack).

Work is measured by ``work_meter.WorkMeter`` (Python lines executed plus characters regex engines must
read), never by a clock. Each case doubles the size of an output that used to take quadratic time:
the long runs that extraction retried at every character, the long token that streaming ``viable``
reread on every call, ``uniqueItems`` comparing every pair of a mixed-type array. Quadratic work shows
as a ratio near 4; these tests allow 2.5.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable
from typing import Any

import pytest

from guardrail.checks import Grammar, JSONSchema
from guardrail.checks.grammar import extract, prefix
from guardrail.checks.grammar.values import SHIPPED_VALUES
from guardrail.resources import grammar_path

from .work_meter import WorkMeter

LINEAR = 2.5
_FRESH = itertools.count()


def fresh(name: str, **options: Any) -> Grammar:
    """A shipped grammar compiled anew (a comment makes its text unique), so that the meter watches every
    pattern it compiles."""
    text = grammar_path(name).read_text(encoding="utf-8") + f"\n// fresh {next(_FRESH)}\n"
    values = SHIPPED_VALUES.get(name)
    return Grammar(text, name=name, transformer=values() if values is not None else None, **options)


def ratio(
    monkeypatch: pytest.MonkeyPatch, build: Callable[[], Any], use: Callable[[Any, int], Any], size: int
) -> float:
    """Work of ``use(check, 2 * size)`` over work of ``use(check, size)``. The check is built and warmed
    up on a small size first, so that building parsers, lexers and DFAs is not counted."""
    meter = WorkMeter(monkeypatch, prefix, extract)
    with meter.watching():
        check = build()
        use(check, size // 10)
    small = meter.measure(use, check, size)
    large = meter.measure(use, check, 2 * size)
    return large / small


# -- extraction --------------------------------------------------------------------------------------------

ALPHANUMERIC = "".join(
    random.Random(5).choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    for _ in range(20_000)
)

EXTRACTION_CASES = {
    # The reproducers: long alphanumeric runs, where every character inside the run was tried as
    # a start, and each try read the rest of the run.
    "json: x then digits": ("json", lambda n: "x" + "1" * n),
    "python_expr: a digit then letters": ("python_expr", lambda n: "9" + "x" * n),
    "python_expr: a chatty reply with a blob": (
        "python_expr",
        lambda n: "Sure, the data is 4" + ALPHANUMERIC[:n] + " and the answer is x + 1.",
    ),
    # Found on the way: an unterminated string of escaped quotes offers a start at every other character.
    "json: escaped quotes, unterminated": ("json", lambda n: '"' + '\\"' * (n // 2)),
    "sexpr: escaped quotes, unterminated": ("sexpr", lambda n: '"' + '\\"' * (n // 2)),
    # Not quadratic before, but the probe that makes the above linear must not make this one slower.
    "json: many words that begin like true": ("json", lambda n: "the " * (n // 4) + "[1]"),
}


@pytest.mark.parametrize("case", sorted(EXTRACTION_CASES))
def test_extraction_is_linear(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    name, make = EXTRACTION_CASES[case]
    assert (
        ratio(monkeypatch, lambda: fresh(name, extract=True), lambda g, n: g.check(make(n)), 2_000) < LINEAR
    )


def test_extraction_still_finds_answers_after_hostile_stretches() -> None:
    grammar = Grammar.from_file("json", extract=True)
    assert grammar.check("x" + "1" * 50_000 + ' so {"a": [1, 2]}').value == {"a": [1, 2]}
    assert grammar.check('"' + '\\"' * 20_000 + " then [3]").value == [3]  # the string swallows [3]
    assert grammar.check("the " * 10_000 + "true").value is True
    assert Grammar.from_file("python_expr", extract=True).check("1" * 10_000 + "x and then y + 1").ok


# -- streaming viable() ------------------------------------------------------------------------------------

STREAM_CASES = {
    "json: a long string": ("json", lambda n: '{"text": "' + "lorem ipsum, " * (n // 13) + '", "n": 1}'),
    "json: a long number": ("json", lambda n: "[" + "7" * n + "]"),
    "sexpr: a long string with escapes": ("sexpr", lambda n: '(display "' + 'a\\"b ' * (n // 5) + '")'),
    "sexpr: a long comment": ("sexpr", lambda n: "(f x) ; " + "note " * (n // 5) + "\n(g y)"),
    "python_expr: a long name": ("python_expr", lambda n: "x + " + "y" * n + " * 2"),
}

# What breaks each streamed text in the middle of its long token, for good.
BREAKS = {
    "json: a long string": "\x00",
    "json: a long number": "x",
    "sexpr: a long string with escapes": '"))',  # closes the string, the list, then one too many
    "sexpr: a long comment": "\n)",  # ends the comment, then closes a list never opened
    "python_expr: a long name": "$",
}


def _stream(grammar: Grammar, text: str, step: int = 4) -> list[bool]:
    return [grammar.viable(text[:end]) for end in range(step, len(text) + step, step)]


@pytest.mark.parametrize("case", sorted(STREAM_CASES))
def test_streaming_viable_reads_each_character_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    name, make = STREAM_CASES[case]

    def use(grammar: Grammar, size: int) -> None:
        assert all(_stream(grammar, make(size)))

    assert ratio(monkeypatch, lambda: fresh(name), use, 2_000) < LINEAR


@pytest.mark.parametrize("case", sorted(STREAM_CASES))
def test_streaming_inside_a_long_token_stops_exactly_where_the_text_goes_wrong(case: str) -> None:
    name, make = STREAM_CASES[case]
    text = make(3_000)
    middle = len(text) // 2
    middle -= (middle - len('(display "')) % 5  # between two 'a\\"b ' (the other texts do not care)
    broken = text[:middle] + BREAKS[case] + text[middle:]
    dead_from = middle + len(BREAKS[case])
    answers = _stream(Grammar.from_file(name), broken, step=1)
    assert answers == [end < dead_from for end in range(1, len(broken) + 1)]
    assert not Grammar.from_file(name).check(broken).ok


# -- uniqueItems ---------------------------------------------------------------------------------------------


def _mixed_unique_array(count: int) -> str:
    rng = random.Random(9)
    items: list[Any] = []
    for i in range(count):
        kind = i % 5
        if kind == 0:
            items.append(i)
        elif kind == 1:
            items.append(f"s{i}")
        elif kind == 2:
            items.append({"k": i, "v": [i, str(i)]})
        elif kind == 3:
            items.append([i, rng.random()])
        else:
            items.append(i + 0.5)
    return json.dumps(items)


def test_unique_items_is_linear_on_mixed_types(monkeypatch: pytest.MonkeyPatch) -> None:
    def use(check: JSONSchema, count: int) -> None:
        assert check.check(_mixed_unique_array(count)).ok

    assert ratio(monkeypatch, lambda: JSONSchema({"type": "array", "uniqueItems": True}), use, 300) < LINEAR


@pytest.mark.parametrize(
    ("items", "unique"),
    [
        ([1, 1.0], False),
        ([1, True], True),
        ([0, False], True),
        ([{"a": 1, "b": 2}, {"b": 2, "a": 1}], False),
        ([[1, 2], [2, 1]], True),
        ([[1, [True]], [1.0, [True]]], False),
        ([None, "null", 0, False, [], {}], True),
        ([{"a": [1]}, {"a": [1.0]}], False),
        (["1", 1], True),
    ],
)
def test_unique_items_keeps_json_schema_equality(items: list[Any], unique: bool) -> None:
    verdict = JSONSchema({"uniqueItems": True}).check(json.dumps(items))
    assert verdict.ok is unique
    if not unique:
        assert verdict.errors[0].code == "jsonschema.uniqueItems"
