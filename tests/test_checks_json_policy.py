"""One JSON policy for every JSON check: no NaN, no infinities, no integers over 4,300 digits, no escaped
lone surrogates, each rejected with a located error; and hostile JSON never makes a check raise."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from guardrail.checks import Grammar, JSONSchema, Schema, ToolCalls, Verdict
from guardrail.checks.json_policy import MAX_INT_DIGITS, text_problem
from guardrail.models.types import ToolCall


class Args(BaseModel):
    x: Any


def _tool_arguments(text: str) -> Verdict:
    return ToolCalls([("f", Args)]).check([ToolCall(name="f", arguments='{"x": ' + text + "}")])


# Each JSON check, given the same JSON text (for ToolCalls: as the value of an argument).
JSON_CHECKS: dict[str, Callable[[str], Verdict]] = {
    "grammar": Grammar.from_file("json").check,
    "schema(float)": Schema(float).check,
    "schema(object)": Schema(object).check,
    "json_schema": JSONSchema({}).check,
    "json_schema(number)": JSONSchema({"type": "number", "multipleOf": 0.5}).check,
    "tool_calls": _tool_arguments,
}

REJECTED = {
    "NaN": ("json.non_finite", 0),
    "Infinity": ("json.non_finite", 0),
    "-Infinity": ("json.non_finite", 0),
    "1e999999": ("json.non_finite", 0),
    "-1e400": ("json.non_finite", 0),
    "1" * 400 + ".5": ("json.non_finite", 0),
    "1" * 250 + "e99": ("json.non_finite", 0),
    "9" * (MAX_INT_DIGITS + 1): ("json.integer_too_long", 0),
    "-" + "9" * 5000: ("json.integer_too_long", 0),
    "[1, 2, NaN]": ("json.non_finite", 7),
    '{"a": [0.5, 1e309]}': ("json.non_finite", 12),
    '"\\ud800"': ("json.lone_surrogate", 1),
    '"x\\udc00y"': ("json.lone_surrogate", 2),
    '"\\ud83d\\ud83d\\ude00"': ("json.lone_surrogate", 1),
}


@pytest.mark.parametrize("name", sorted(JSON_CHECKS))
@pytest.mark.parametrize("text", sorted(REJECTED), ids=lambda t: t[:16])
def test_every_json_check_rejects_the_same_things_with_the_same_code(name: str, text: str) -> None:
    code, offset = REJECTED[text]
    verdict = JSON_CHECKS[name](text)
    assert not verdict.ok
    (error,) = verdict.errors
    if name == "grammar" and ("N" in text or "I" in text):
        # NaN and Infinity are not JSON at all: the grammar cannot even read them.
        assert error.code == "grammar.unexpected_character"
        return
    assert error.code == code
    if name == "tool_calls":
        assert error.path == (0, "arguments")
        assert error.offset == offset + len('{"x": ')
    elif name == "grammar" and code == "json.lone_surrogate":
        assert error.offset == 0  # the grammar points at the string, the scan at the escape
    else:
        assert error.offset == offset
        assert (error.line, error.column) == (1, offset + 1)
    error.feedback.encode("utf-8")
    assert len(error.feedback) < 300


ACCEPTED = [
    "9" * MAX_INT_DIGITS,
    "1e308",
    "-1.5e-400",
    '"NaN"',
    '{"Infinity": "-Infinity"}',
    '"\\\\ud800"',  # an escaped backslash, then the letters "ud800"
    '"\\ud83d\\ude00"',
    '"' + "1" * 5000 + '"',
]


@pytest.mark.parametrize("name", sorted(JSON_CHECKS))
@pytest.mark.parametrize("text", ACCEPTED, ids=lambda t: t[:16])
def test_every_json_check_accepts_what_the_policy_allows(name: str, text: str) -> None:
    if name in ("schema(float)", "json_schema(number)") and text.startswith(('"', "{")):
        return  # not a number: rejected by the schema, not by the policy
    verdict = JSON_CHECKS[name](text)
    assert verdict.ok, verdict.feedback()


def test_the_issues_reproducers_are_rejections_not_exceptions() -> None:
    assert JSONSchema({"type": "number"}).check("9" * 4301).errors[0].code == "json.integer_too_long"
    assert JSONSchema({"multipleOf": 0.01}).check("1e999999").errors[0].code == "json.non_finite"
    assert JSONSchema({}).check("NaN").errors[0].code == "json.non_finite"
    assert Schema(float).check("NaN").errors[0].code == "json.non_finite"
    assert Schema(float).check("1e999999").errors[0].code == "json.non_finite"


class _Hostile:
    def __repr__(self) -> str:
        raise RuntimeError("repr")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")

    __hash__ = object.__hash__


class _LoudStr(str):
    def __repr__(self) -> str:
        raise RuntimeError("repr")


@pytest.mark.parametrize(
    ("value", "code", "path"),
    [
        ({1: "a"}, "json.not_json", ()),
        ({"a": {(1, 2): "b"}}, "json.not_json", ("a",)),
        ([1, _Hostile()], "json.not_json", (1,)),
        ({"a": _LoudStr("b")}, "json.not_json", ("a",)),
        ({"a": {1, 2}}, "json.not_json", ("a",)),
        ({"a": float("nan")}, "json.non_finite", ("a",)),
        ([[float("-inf")]], "json.non_finite", (0, 0)),
        ([10**5000], "json.integer_too_long", (0,)),
        ({"k": "x\udfff"}, "json.lone_surrogate", ("k",)),
        ([[[[[]]]]] * 2, None, None),
    ],
)
def test_parsed_values_are_screened_before_the_validator_sees_them(
    value: Any, code: str | None, path: Any
) -> None:
    check = JSONSchema({"multipleOf": 0.01, "uniqueItems": True})
    verdict = check.check(value)
    if code is None:
        assert [e.code for e in verdict.errors] == ["jsonschema.uniqueItems"]
        return
    (error,) = verdict.errors
    assert (error.code, error.path) == (code, path)


def test_screening_parsed_values_never_recurses() -> None:
    nested: list[Any] = []
    for _ in range(100_000):
        nested = [nested]
    (error,) = JSONSchema({}).check(nested).errors
    assert error.code == "output.too_deep"
    assert error.path is not None and len(error.path) == 201


def test_the_hostile_regex_format_is_a_failed_format_not_a_crash() -> None:
    check = JSONSchema({"type": "string", "format": "regex"})
    for pattern in ["(" * 1000 + ")" * 1000, "a{99999999999999999999}", "(?"]:
        (error,) = check.check(json.dumps(pattern)).errors
        assert error.code == "jsonschema.format"
    assert check.check(json.dumps("a+b*")).ok


def test_multiple_of_is_exact_when_the_float_quotient_overflows() -> None:
    check = JSONSchema({"multipleOf": 0.5})
    assert check.check("1" + "0" * 4000).ok
    assert not check.check("1" + "0" * 4000 + ".25").ok
    assert check.check("1e308").ok


def test_the_policy_scan_reads_strings_as_strings() -> None:
    assert text_problem('{"note": "NaN and Infinity and 1e999999 and ' + "9" * 5000 + '"}') is None
    assert text_problem('["a\\"NaN", NaN]') is not None
    assert text_problem('"unterminated NaN') is None
    problem = text_problem('["a\\\\", 1e400]')
    assert problem is not None and problem.offset == 8
