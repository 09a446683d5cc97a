"""Every error a shipped check reports carries a code from the one table (``guardrail.checks.codes``), and
``Verdict.signature`` compares codes and locations, not wording."""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, Field, field_validator
from pydantic_core.core_schema import ErrorType

from guardrail._text import show_value
from guardrail.checks import (
    Automaton,
    Check,
    Compare,
    ErrorDetail,
    ExactAnswer,
    Grammar,
    JSONSchema,
    LabelAnswer,
    NormalizedAnswer,
    NumericAnswer,
    PassesTests,
    Predicate,
    RegexAnswer,
    Schema,
    ToolCalls,
    Verdict,
    codes,
)
from guardrail.checks.answers import LabelReader
from guardrail.checks.racket import Racket
from guardrail.models.types import Completion, Message, ToolCall
from guardrail.resources import available_grammars
from guardrail.sandbox import Limits, SandboxStatus

# -- the documented codes --------------------------------------------------------------------------------


def _table() -> list[str]:
    """The first column of the table in ``guardrail.checks.codes``."""
    doc = codes.__doc__ or ""
    rules = [i for i, line in enumerate(doc.splitlines()) if line.startswith("=====")]
    assert len(rules) == 3, "the table has a header rule and closing rule"
    body = doc.splitlines()[rules[1] + 1 : rules[2]]
    return [line.split()[0] for line in body if line and not line.startswith(" ")]


def _family_members() -> dict[str, set[str]]:
    drafts = [
        jsonschema.Draft3Validator,
        jsonschema.Draft4Validator,
        jsonschema.Draft6Validator,
        jsonschema.Draft7Validator,
        jsonschema.Draft201909Validator,
        jsonschema.Draft202012Validator,
    ]
    return {
        "schema.<pydantic_type>": set(typing.get_args(ErrorType)),
        "jsonschema.<keyword>": {keyword for draft in drafts for keyword in draft.VALIDATORS},
        "code.<status>": set(typing.get_args(SandboxStatus)) - {"passed"},
    }


@cache
def documented() -> frozenset[str]:
    found: set[str] = set()
    families = _family_members()
    for entry in _table():
        if entry in families:
            family = entry.split(".")[0]
            found |= {f"{family}.{kind}" for kind in families[entry]}
        else:
            found.add(entry)
    return frozenset(found)


def test_the_table_lists_each_code_once_and_only_well_formed_codes() -> None:
    entries = _table()
    assert len(entries) == len(set(entries))
    assert all((e.count(".") == 1 and e.islower()) or "<" in e for e in entries), entries
    assert set(_family_members()) <= set(entries)


# -- a battery of bad outputs through every shipped check ------------------------------------------------


class _HostileRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class Person(BaseModel):
    name: str
    age: int = Field(ge=0)


class Search(BaseModel):
    query: str
    limit: int = 10


PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
        "tags": {"type": "array", "items": {"type": "integer"}, "uniqueItems": True},
        "score": {"type": "number", "multipleOf": 0.5, "minimum": 0},
        "kind": {"enum": ["a", "b"]},
    },
    "required": ["name"],
    "additionalProperties": False,
}

# Every check meets these; each check adds its own below.
HOSTILE = [
    "",
    "x",
    " ",
    "\x00",
    "\ud800",
    '{"name": "\ud800"}',
    "a" * 300_000,
    "[" * 5_000 + "]" * 5_000,
    '{"a":' * 5_000 + "1" + "}" * 5_000,
    "[1, 2",
    '{"name": "Ann", "age": }',
    'Sure! ```json\n{"name": 1}\n``` hope that helps',
    "NaN",
    "[1, -Infinity]",
    "1e999999",
    "9" * 4301,
    '"\\ud800"',
]

AMBIGUOUS = 'start: e\ne: e "+" e | "(" e ")" | NUMBER\nNUMBER: /[0-9]+/\n%ignore " "'


def _grammar_cases() -> Iterator[tuple[str, Check, list[Any]]]:
    for name in available_grammars():
        yield f"grammar:{name}", Grammar.from_file(name), ["(", ")", "[1,]", "yes no", "1 1", "#|"]
        yield f"grammar:{name}:extract", Grammar.from_file(name, extract=True), ["the reply has no answer"]
    yield (
        "grammar:json-values",
        Grammar.from_file("json"),
        ['"\\ud800"', "[1e400]", "1" * 5000, '{"a": 1e999}'],
    )
    yield "grammar:own-transformer", Grammar("start: WORD\nWORD: /[a-z]+/", transformer=_refuse), ["abc"]
    yield "grammar:earley", Grammar(AMBIGUOUS, timeout=None), ["1 + + 2", "(1", "1 2"]
    yield "grammar:earley-timeout", Grammar(AMBIGUOUS, timeout=0.2), ["1+" * 2_000 + "1"]


def _refuse(tree: Any) -> Any:
    raise ValueError("this transformer accepts nothing")


def _cases() -> Iterator[tuple[str, Check, list[Any]]]:
    yield from _grammar_cases()
    yield (
        "schema",
        Schema(Person, max_errors=2),
        ['{"name": 1, "age": -1, "x": 2}', '{"age": "forty"}', "[]", '{"name": "a", "age": 1.5}'],
    )
    yield "schema:python", Schema(list[int], max_errors=1), [["a", "b", "c"], {"x": 1}]
    yield "schema:raising", Schema(_Raises), ['{"name": "a"}']
    yield (
        "json_schema",
        JSONSchema(PERSON_SCHEMA),
        [
            '{"name": "ABCDEFG", "tags": [1, 1, "x"], "score": 0.3, "kind": "c", "extra": 1}',
            '{"score": -1}',
            "[]",
            {"name": "ab", "tags": [1, 2, 2]},
            {1: "a non-string key"},
            [_HostileRepr()],
            {"a": float("nan")},
        ],
    )
    yield (
        "tool_calls",
        ToolCalls([("search", Search)], max_calls=1, max_errors=2),
        [
            "[]",
            '[{"name": "search", "arguments": {"query": "a"}}, {"name": "search", "arguments": {}}]',
            '{"name": "nope", "arguments": {}}',
            '{"name": "search", "arguments": "{not json"}',
            '{"name": "search", "arguments": {"query": 1, "limit": "x"}}',
            "[1, 2]",
            [ToolCall(name="search", arguments='{"query": "\ud800"}')],
            [ToolCall(name="search", arguments='{"query": 1}')] * 3,
            Completion(text="Sure, I will search for that."),
            [
                ToolCall(id="a", name="search", arguments="{}"),
                ToolCall(id="a", name="search", arguments="{}"),
            ],
            [
                Message(role="user", content="find"),
                Message(role="assistant", tool_calls=(ToolCall(id="c1", name="search", arguments="{}"),)),
                Message(role="tool", tool_call_id="c1", content="done"),
                Message(role="assistant", tool_calls=(ToolCall(id="c1", name="search", arguments="{}"),)),
            ],
            [
                Message(role="user", content="find"),
                Message(role="tool", tool_call_id="c9", content="done"),
                Message(role="assistant", tool_calls=(ToolCall(id="c1", name="search", arguments="{}"),)),
            ],
        ],
    )
    yield (
        "racket:define_only",
        Racket(define_only=True),
        ["(define x 1)\n(display x)", "#lang racket\n(define x 1)", "Sure! (define x 1)"],
    )
    yield (
        "automaton",
        Automaton.regex(r"\[[0-9,]*\]"),
        ["[1,2", "[a]", "]"],
    )
    yield "automaton:empty", Automaton.regex("a") & Automaton.regex("b"), ["a"]
    yield (
        "predicate",
        Predicate(lambda s: s.startswith("(define"), name="starts_with_define"),
        ["(lambda)"],
    )
    yield "predicate:message", Predicate(lambda s: "bad" if s else True), ["x"]
    yield "predicate:raises", Predicate(lambda s: s == 1 / 0), ["x"]
    yield "converter", Predicate.map(json.loads), ["{", "NaN" * 2]
    yield "exact", ExactAnswer("Paris"), ["London"]
    yield "normalized", NormalizedAnswer("the Eiffel tower"), ["Big Ben"]
    yield "numeric", NumericAnswer(42), ["41", "no number"]
    yield "regex", RegexAnswer("B", r"\(([A-E])\)", group=1), ["(C)", "none"]
    yield "label", LabelAnswer("positive", LabelReader(["positive", "negative"])), ["negative", "meh"]
    yield "compare", Compare(3), [4, object()]


class _Raises(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def _lookup(cls, value: str) -> str:
        raise KeyError(value)  # pydantic turns only ValueError and AssertionError into validation errors


CASES = list(_cases())


def _assert_coded(verdict: Verdict, where: str) -> set[str]:
    seen: set[str] = set()
    for error in verdict.errors:
        assert error.code != "invalid", (where, error)
        assert error.code in documented(), (where, error.code, error.message)
        seen.add(error.code)
    return seen


@pytest.mark.parametrize(("label", "check", "outputs"), CASES, ids=[c[0] for c in CASES])
def test_every_error_of_every_shipped_check_has_a_documented_code(
    label: str, check: Check, outputs: list[Any]
) -> None:
    for output in [*outputs, *HOSTILE]:
        try:
            verdict = check.check(output)
        except Exception as e:
            pytest.fail(f"{label} raised {type(e).__name__} on {show_value(output)}: {e}")
        _assert_coded(verdict, f"{label} on {show_value(output)}")


def test_the_sandboxed_code_check_reports_the_sandbox_status() -> None:
    check = PassesTests(lambda code: code + "\nassert f(2) == 4\n", limits=Limits(wall_s=10), extract=False)
    seen = set()
    for code in ["def f(x):\n    return x + 1\n", "def f(x) return", "def f(x):\n    raise SystemExit(3)\n"]:
        seen |= _assert_coded(check.check(code), code)
    assert "code.failed" in seen


def test_the_battery_reaches_every_code_of_the_checks_it_runs() -> None:
    seen: set[str] = set()
    for label, check, outputs in CASES:
        for output in [*outputs, *HOSTILE]:
            seen |= _assert_coded(check.check(output), label)
    exact = {code for code in _table() if "<" not in code}
    # Set elsewhere, or only by faults that no output can provoke deterministically.
    not_reachable_here = {"stream.dead_prefix", "jsonschema.raised"}
    assert exact - not_reachable_here - seen == set()
    assert any(code.startswith("schema.") for code in seen)
    assert any(code.startswith("jsonschema.") for code in seen)


# -- signatures ------------------------------------------------------------------------------------------


def _error(code: str, message: str, **where: Any) -> ErrorDetail:
    return ErrorDetail(check="c", message=message, feedback=message, code=code, **where)


@pytest.mark.parametrize(
    ("one", "two", "same"),
    [
        (
            _error("grammar.unexpected_end", "stops early", offset=3),
            _error("grammar.unexpected_end", "ends", offset=3),
            True,
        ),
        (
            _error("grammar.unexpected_end", "x", offset=3),
            _error("grammar.unexpected_end", "x", offset=4),
            False,
        ),
        (
            _error("grammar.unexpected_end", "x", offset=3),
            _error("grammar.unexpected_token", "x", offset=3),
            False,
        ),
        (_error("schema.missing", "a", path=("a",)), _error("schema.missing", "b", path=("a",)), True),
        (_error("schema.missing", "a", path=("a",)), _error("schema.missing", "a", path=("b",)), False),
        (_error("answer.wrong", "x", found="4"), _error("answer.wrong", "y", found="5"), False),
        (_error("invalid", "one reason"), _error("invalid", "another reason"), False),
        (_error("invalid", "same reason"), _error("invalid", "same reason"), True),
    ],
)
def test_signature_compares_codes_locations_and_findings_not_wording(
    one: ErrorDetail, two: ErrorDetail, same: bool
) -> None:
    assert (Verdict.reject(one).signature() == Verdict.reject(two).signature()) is same


def test_the_same_mistake_twice_has_one_signature_and_a_fix_changes_it() -> None:
    grammar = Grammar.from_file("json")
    first, again, moved = grammar.check('{"a": 1,}'), grammar.check('{"b": 2,}'), grammar.check('{"a": 1, }')
    assert first.signature() == again.signature()
    assert first.signature() != moved.signature()
    check: Callable[[str], Verdict] = Schema(Person).check
    # Another name, the same bad age: the same error. Another bad age is another attempt at a fix.
    assert check('{"name": "Ann", "age": -1}').signature() == check('{"name": "Bo", "age": -1}').signature()
    assert check('{"name": "Ann", "age": -1}').signature() != check('{"name": "Ann", "age": -7}').signature()
    assert check('{"name": "Ann", "age": -1}').signature() != check('{"name": "Ann"}').signature()


# -- serialisation ---------------------------------------------------------------------------------------


def test_verdicts_serialise_to_json_whatever_their_value() -> None:
    calls = ToolCalls([("search", Search)]).check('{"name": "search", "arguments": {"query": "q"}}')
    assert json.loads(json.dumps(calls.to_dict()))["value"] == [
        {"name": "search", "arguments": {"query": "q", "limit": 10}, "id": ""}
    ]
    assert "_HostileRepr" in Verdict.accept(_HostileRepr()).to_dict()["value"]
    nested: list[Any] = []
    for _ in range(100_000):
        nested = [nested]
    assert isinstance(Verdict.accept(nested).to_dict()["value"], str)
    rejected = Schema(Person).check('{"name": 1}').to_dict()
    assert [e["code"] for e in rejected["errors"]] == ["schema.string_type", "schema.missing"]
