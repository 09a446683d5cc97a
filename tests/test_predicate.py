"""Predicate (callable -> True | False | message) and Converter (Predicate.map)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrail.checks.predicate import Converter, Predicate
from guardrail.errors import ConfigurationError


def is_even(n: int) -> bool:
    """An even number."""
    return n % 2 == 0


def test_true_accepts_and_passes_the_value_through() -> None:
    verdict = Predicate(is_even).check(4)
    assert verdict.ok and verdict.value == 4


def test_false_uses_the_name_and_docstring() -> None:
    (error,) = Predicate(is_even).check(3).errors
    assert error.check == "is_even"
    assert error.feedback == "The answer fails the check 'is_even': An even number."
    assert error.expected == "An even number."


def test_false_without_docstring_or_name() -> None:
    (error,) = Predicate(lambda s: s.startswith("(define")).check("(lambda)").errors
    assert error.check == "predicate"
    assert error.feedback == "The answer fails the check 'predicate'."
    named = Predicate(lambda s: False, name="begins_with_define", description="starts with (define")
    assert (
        named.check("x").errors[0].feedback
        == "The answer fails the check 'begins_with_define': starts with (define."
    )


def test_a_message_is_the_feedback() -> None:
    check = Predicate(lambda s: True if s.startswith("(define") else "Begin the answer with (define.")
    assert check.check("(define (f x) x)").ok
    (error,) = check.check("(lambda (x) x)").errors
    assert error.feedback == "Begin the answer with (define."
    assert error.message == "Begin the answer with (define."


def test_an_exception_in_the_callable_is_a_rejection_naming_it() -> None:
    (error,) = Predicate(lambda d: d["answer"] > 0, name="positive").check({}).errors
    assert error.check == "positive"
    assert error.feedback == "The answer could not be checked: KeyError: 'answer'."
    assert "positive raised KeyError" in error.message


def test_an_exception_whose_str_fails_is_still_a_rejection() -> None:
    class Weird(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    def explode(_: object) -> bool:
        raise Weird

    assert Predicate(explode).check("x").errors[0].feedback == "The answer could not be checked: Weird."


def test_returning_something_else_is_misuse() -> None:
    with pytest.raises(ConfigurationError, match="must return True, False or a message"):
        Predicate(lambda s: None).check("x")
    with pytest.raises(ConfigurationError, match="must return True, False or a message"):
        Predicate(lambda s: 1).check("x")


def test_not_callable_is_misuse() -> None:
    with pytest.raises(ConfigurationError):
        Predicate("len > 3")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        Predicate.map(42)  # type: ignore[arg-type]


def test_map_converts_and_rejects_on_exceptions() -> None:
    to_int = Predicate.map(int)
    assert isinstance(to_int, Converter)
    assert to_int.check("42").value == 42
    (error,) = to_int.check("forty").errors
    assert error.check == "int"
    assert (
        error.feedback
        == "The answer could not be checked: ValueError: invalid literal for int() with base 10: 'forty'."
    )


def test_map_with_json_loads() -> None:
    parse = Predicate.map(json.loads, name="json")
    assert parse.check('{"a": [1, 2]}').value == {"a": [1, 2]}
    assert "JSONDecodeError" in parse.check("{'a': 1}").errors[0].feedback


def test_non_text_values_skip_the_length_limit() -> None:
    assert Predicate(lambda xs: len(xs) == 3, max_chars=2).check([1, 2, 3]).ok
    assert not Predicate(lambda s: True, max_chars=2).check("abc").ok


@settings(max_examples=100, deadline=None, derandomize=True)
@given(value=st.one_of(st.text(), st.integers(), st.none(), st.lists(st.integers()), st.binary()))
def test_any_value_any_predicate_outcome_is_a_verdict(value: Any) -> None:
    # A predicate that fails in a different way depending on the value: always a verdict, never an exception.
    def fussy(v: Any) -> bool | str:
        if isinstance(v, str):
            return v.encode("utf-8").isascii() or "ASCII only."
        if isinstance(v, int):
            return 100 // v > 1
        return len(v) > 2  # TypeError for None

    try:
        expected_ok = fussy(value) is True
    except Exception:
        expected_ok = False
    verdict = Predicate(fussy).check(value)
    assert verdict.ok == expected_ok
    if not verdict.ok:
        assert verdict.errors[0].feedback.encode("utf-8")
