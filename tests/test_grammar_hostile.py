"""Hostile outputs get a rejecting verdict (never a crash, a RecursionError or a hang).

No test here measures time: the inputs are sized so that a linear-time check finishes in well under a
second and a quadratic or exponential one would not finish at all. benchmarks/bench_grammar.py has the
figures.
"""

from __future__ import annotations

import json
import random

import pytest

from guardrail.checks.base import DEFAULT_MAX_CHARS
from guardrail.checks.grammar import DEFAULT_MAX_DEPTH, Grammar
from guardrail.resources import available_grammars


@pytest.fixture(scope="module")
def json_grammar() -> Grammar:
    return Grammar.from_file("json")


def _large_document(size: int) -> str:
    rng = random.Random(7)
    items: list[str] = []
    while sum(len(i) for i in items) < size:
        item = {"id": len(items), "name": f"item {rng.random()}", "tags": ["a", "b"], "ok": True, "x": None}
        items.append(json.dumps(item))
    return "[" + ",\n".join(items) + "]"


@pytest.mark.parametrize("name", available_grammars())
def test_a_megabyte_is_rejected_as_too_long_by_every_grammar(name: str) -> None:
    for extract in (False, True):
        verdict = Grammar.from_file(name, extract=extract).check("(" * 1_000_000)
        assert not verdict.ok
        assert "too long" in verdict.feedback()
        assert not Grammar.from_file(name).viable("(" * 1_000_000)


def test_a_150_kb_document_is_parsed_completely(json_grammar: Grammar) -> None:
    document = _large_document(150_000)
    verdict = json_grammar.check(document)
    assert verdict.ok
    assert verdict.value == json.loads(document)
    assert json_grammar.viable(document)


def test_a_150_kb_document_with_an_error_at_the_end_is_located(json_grammar: Grammar) -> None:
    document = _large_document(150_000)
    broken = document[:-1] + ",]"
    (error,) = json_grammar.check(broken).errors
    assert error.offset == len(broken) - 1
    assert error.line == broken.count("\n") + 1


DEEP = 10_000


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("json", "[" * DEEP + "]" * DEEP),
        ("json", '{"a":' * DEEP + "1" + "}" * DEEP),
        ("sexpr", "(" * DEEP + ")" * DEEP),
        ("tool_call", '{"name": "f", "arguments": {"a": ' + "[" * DEEP + "]" * DEEP + "}}"),
    ],
)
def test_ten_thousand_levels_of_nesting_are_rejected_as_too_deep(name: str, text: str) -> None:
    verdict = Grammar.from_file(name).check(text)
    assert not verdict.ok
    (error,) = verdict.errors
    assert "nesting too deep" in error.message
    assert str(DEFAULT_MAX_DEPTH) in error.feedback
    assert Grammar.from_file(name).viable(text[: len(text) // 2])


def test_deep_but_allowed_nesting_is_accepted_with_its_value(json_grammar: Grammar) -> None:
    depth = DEFAULT_MAX_DEPTH - 1
    verdict = json_grammar.check("[" * depth + "]" * depth)
    assert verdict.ok
    value = verdict.value
    for _ in range(depth - 1):
        (value,) = value
    assert value == []


def test_a_raised_depth_limit_still_never_raises_recursion_error() -> None:
    # With the depth check out of the way, the recursive transformer itself hits Python's limit: the
    # verdict must still be a rejection.
    grammar = Grammar.from_file("json", max_depth=100_000)
    verdict = grammar.check("[" * 10_000 + "]" * 10_000)
    assert not verdict.ok
    assert "nesting too deep" in verdict.errors[0].message


def test_deep_nesting_without_a_transformer_is_rejected_too() -> None:
    verdict = Grammar.from_file("json", transformer=None).check("[" * 10_000 + "]" * 10_000)
    assert not verdict.ok


@pytest.mark.parametrize("name", available_grammars())
def test_a_lone_surrogate_character_is_rejected_by_every_grammar(name: str) -> None:
    for text in ("\ud800", 'x"\udfff"', "(a \udc80)"):
        verdict = Grammar.from_file(name).check(text)
        assert not verdict.ok
        assert "surrogate" in verdict.errors[0].message
        verdict.feedback().encode("utf-8")  # the feedback itself must be sendable


def test_lone_surrogate_escapes_in_json_strings_are_rejected_and_pairs_accepted(
    json_grammar: Grammar,
) -> None:
    for text in ('"\\ud800"', '["\\udc00"]', '{"k": "a\\ud83d"}', '"\\ude00\\ud83d"'):
        verdict = json_grammar.check(text)
        assert not verdict.ok, text
        assert "surrogate" in verdict.feedback()
    assert json_grammar.check('"\\ud83d\\ude00"').value == "\U0001f600"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("json", "\x00"),
        ("json", '{"a": "\x00"}'),
        ("json", '{"a": 1}\x00'),
        ("json", '{"a\x00": 1}'),
        ("sexpr", "(a\x00b)"),
        ("sexpr", "\x00"),
        ("number", "4\x002"),
        ("yes_no", "yes\x00"),
        ("choice_ae", "\x00A"),
        ("tool_call", '{"name": "f\x00", "arguments": {}}'),
    ],
)
def test_nul_bytes_are_rejected_with_a_location(name: str, text: str) -> None:
    verdict = Grammar.from_file(name).check(text)
    assert not verdict.ok
    (error,) = verdict.errors
    assert error.offset == text.index("\x00")
    assert "\\x00" in error.feedback


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("json", '"' + "\\" * 150_001),  # every escape opens another choice point in a naive regexp
        ("json", '"' + "a" * 150_000),  # unterminated string
        ("json", "[" + "1," * 20_000),  # many tokens, then the end
        ("json", "1" * 150_000 + "e"),
        ("json", "-" + "0" * 150_000),
        ("json", '{"a":' * 10_000),
        ("json", '"\\u' + "0" * 150_000),
        ("sexpr", "#|" + "|" * 150_000),
        ("sexpr", "(a " + "#| x |# " * 15_000),
        ("sexpr", '"' + "\\" * 150_001),
        ("number", "1" * 150_000 + "."),
        ("number", "." * 150_000),
        ("yes_no", "ye" * 75_000),
        ("choice_ae", "(" * 150_000),
    ],
)
def test_regex_backtracking_bait_is_rejected(name: str, text: str) -> None:
    grammar = Grammar.from_file(name)
    assert not grammar.check(text).ok
    grammar.viable(text)  # must return, whatever it says
    assert not Grammar.from_file(name, extract=True).check(text).ok


@pytest.mark.parametrize(
    "text",
    [
        '"' * 150_000,
        "```" * 50_000,
        "{" * 150_000,
        '{"a": ' * 25_000,
        "word " * 30_000 + "[1]",
        "1 " * 75_000,
    ],
)
def test_extraction_stays_bounded_on_hostile_replies(text: str) -> None:
    verdict = Grammar.from_file("json", extract=True).check(text)
    assert verdict.ok or verdict.errors[0].feedback


def test_huge_numbers_are_rejected_rather_than_crashing_downstream(json_grammar: Grammar) -> None:
    for text in ("1" * 5000, "1e999", "-1e999", "[1e400]"):
        verdict = json_grammar.check(text)
        assert not verdict.ok, text
    assert not Grammar.from_file("number").check("9" * 5000).ok
    assert json_grammar.check("1e308").value == 1e308


def test_default_length_limit_is_the_shared_one(json_grammar: Grammar) -> None:
    assert json_grammar.max_chars == DEFAULT_MAX_CHARS
    assert json_grammar.check('"' + "a" * (DEFAULT_MAX_CHARS - 2) + '"').ok
    assert not json_grammar.check('"' + "a" * (DEFAULT_MAX_CHARS - 1) + '"').ok


AMBIGUOUS = 'start: e\ne: e "+" e | "(" e ")" | NUMBER\nNUMBER: /[0-9]+/\n%ignore " "'


def test_a_pathologically_ambiguous_earley_parse_is_cut_off_at_the_deadline() -> None:
    # 400 characters of "1+1+..." take about half a minute to parse with Earley; 4,000 would take hours.
    grammar = Grammar(AMBIGUOUS, timeout=1.0)
    assert grammar.algorithm == "earley"
    verdict = grammar.check("1+" * 2_000 + "1")
    assert not verdict.ok
    assert "longer than 1 s" in verdict.errors[0].message
    assert grammar.check("(1 + 2) + 3").ok  # the deadline does not get in the way of normal answers


def test_earley_without_a_deadline_parses_in_process() -> None:
    grammar = Grammar(AMBIGUOUS, timeout=None)
    assert grammar.check("1 + 2").ok
    (error,) = grammar.check("1 + + 2").errors
    assert (error.column, error.expected) == (5, "'(' or a number")
    assert not grammar.check("(" * DEEP + "1" + ")" * DEEP).ok
