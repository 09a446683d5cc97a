"""Hostile outputs against Automaton, Schema, ToolCalls and Predicate: always a rejecting Verdict, never an
exception, a RecursionError or a hang.

No timing assertions here: the point is that these calls return at all (a backtracking regex engine would not
return on the bait below in any reasonable time). Figures are in benchmarks/results_checks.md.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from guardrail.checks.automaton import Automaton
from guardrail.checks.base import DEFAULT_MAX_CHARS, Check, Verdict
from guardrail.checks.predicate import Predicate
from guardrail.checks.schema import Schema, ToolCalls
from guardrail.models.types import ToolCall

MEGABYTE = "a" * 1_000_000
DEEP_ARRAY = "[" * 10_000 + "]" * 10_000
DEEP_OBJECT = '{"x":' * 10_000 + "1" + "}" * 10_000
LONE_SURROGATE = '{"name": "\ud800", "age": 1}'
NUL = '{"name": "a\x00b", "age": 1}'


class Person(BaseModel):
    name: str
    age: int


class Tree(BaseModel):
    label: str = ""
    children: list[Tree] = []


class Args(BaseModel):
    query: str


def _deep_python_tree(depth: int) -> dict[str, Any]:
    tree: dict[str, Any] = {"children": []}
    for _ in range(depth):
        tree = {"children": [tree]}
    return tree


def _deep_python_list(depth: int) -> list[Any]:
    nested: list[Any] = []
    for _ in range(depth):
        nested = [nested]
    return nested


def _assert_sound_rejection(verdict: Verdict) -> None:
    assert not verdict.ok
    assert verdict.errors
    for error in verdict.errors:
        error.feedback.encode("utf-8")  # sendable back to the model
        error.message.encode("utf-8")
        assert len(error.feedback) <= 400
    verdict.signature().encode("utf-8")


CHECKS: dict[str, Check] = {
    "automaton": Automaton.regex(r"\[[0-9,]*\]"),
    "schema": Schema(Person),
    "schema_tree": Schema(Tree),
    "tool_calls": ToolCalls([("search", Args)]),
    "predicate": Predicate(lambda s: s.startswith("(define")),
    "converter": Predicate.map(json.loads, name="json"),
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_a_megabyte_is_rejected_as_too_long(name: str) -> None:
    verdict = CHECKS[name].check(MEGABYTE)
    _assert_sound_rejection(verdict)
    assert verdict.errors[0].offset == DEFAULT_MAX_CHARS
    assert "too long" in verdict.errors[0].feedback


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_a_prefix_over_the_limit_is_not_viable(name: str) -> None:
    # Whatever follows, the finished output would be rejected as too long.
    assert not CHECKS[name].viable(MEGABYTE)
    assert CHECKS[name].viable(MEGABYTE[:1000]) == (name != "automaton")  # 'a' is no start for "[0-9,]*"


@pytest.mark.parametrize("name", sorted(CHECKS))
@pytest.mark.parametrize("text", [DEEP_ARRAY, DEEP_OBJECT], ids=["deep_array", "deep_object"])
def test_ten_thousand_deep_nesting(name: str, text: str) -> None:
    _assert_sound_rejection(CHECKS[name].check(text))


@pytest.mark.parametrize("name", sorted(CHECKS))
@pytest.mark.parametrize(
    "text", [LONE_SURROGATE, NUL, "\ud800", "\x00"], ids=["surrogate_json", "nul_json", "surrogate", "nul"]
)
def test_lone_surrogates_and_nul_bytes(name: str, text: str) -> None:
    verdict = CHECKS[name].check(text)
    if name == "converter" and text == LONE_SURROGATE:
        # json.loads itself reads a lone surrogate into a str: a converter's leniency is its own choice.
        assert verdict.ok and verdict.value["name"] == "\ud800"
        return
    _assert_sound_rejection(verdict)


def test_deep_parsed_values_into_schema() -> None:
    _assert_sound_rejection(Schema(Tree).check(_deep_python_tree(10_000)))
    _assert_sound_rejection(Schema(Person).check(_deep_python_list(10_000)))


def test_deep_arguments_inside_a_tool_call() -> None:
    tools = ToolCalls([("search", Args)])
    _assert_sound_rejection(tools.check([ToolCall(name="search", arguments=DEEP_OBJECT)]))
    _assert_sound_rejection(tools.check([ToolCall(name="search", arguments=MEGABYTE)]))
    _assert_sound_rejection(tools.check([ToolCall(name="search", arguments='{"query": "\ud800"}')]))


def test_regex_backtracking_bait_is_linear() -> None:
    bait = Automaton.regex(r"(a+)+$")
    verdict = bait.check("a" * 30 + "!")
    _assert_sound_rejection(verdict)
    assert verdict.errors[0].offset == 30
    # Far beyond what a backtracking engine could finish: the DFA walks it once.
    big = bait.check("a" * (DEFAULT_MAX_CHARS - 1) + "!")
    _assert_sound_rejection(big)
    assert big.errors[0].offset == DEFAULT_MAX_CHARS - 1
    assert not bait.viable("a" * 100_000 + "!")


def test_nested_quantifier_bait_variants() -> None:
    for pattern, text in [
        (r"(a|aa)+b", "a" * 5_000),
        (r"(a*)*b", "a" * 5_000),
        (r"(\w+\s?)+$", "word " * 2_000 + "!"),
        (r"(x+x+)+y", "x" * 5_000),
    ]:
        _assert_sound_rejection(Automaton.regex(pattern).check(text))


def test_a_recursive_predicate_on_deep_data_is_a_rejection() -> None:
    def depth(v: Any) -> int:
        return 1 + max((depth(x) for x in v), default=0) if isinstance(v, list) else 0

    verdict = Predicate(lambda v: depth(v) < 50, name="shallow").check(_deep_python_list(100_000))
    _assert_sound_rejection(verdict)
    assert "RecursionError" in verdict.errors[0].feedback


def test_predicate_feedback_from_an_exception_quoting_a_huge_input_is_clipped() -> None:
    verdict = Predicate.map(int).check("9" * 100_000)  # int() refuses > 4300 digits, quoting nothing huge
    _assert_sound_rejection(verdict)
    verdict = Predicate(lambda s: s.encode("ascii") and True).check("é" * 100_000)
    _assert_sound_rejection(verdict)


def test_hostile_exception_message_with_surrogate_is_made_sendable() -> None:
    def complain(s: str) -> bool:
        raise ValueError(f"bad character {s}")

    _assert_sound_rejection(Predicate(complain).check("\ud800"))
    _assert_sound_rejection(Predicate(lambda s: f"bad {s}").check("\udfff"))
