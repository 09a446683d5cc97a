"""Specs beyond loops: pre/postconditions proven by Z3 or tested by hypothesis; mypy-checked annotations."""

from __future__ import annotations

import inspect

import pytest

from guardrail.errors import ConfigurationError
from guardrail.invariants.specs import AnnotationCheck, check_annotations, check_spec, spec_verdict


def clamp(x: int, lo: int, hi: int) -> int:
    """Clamp x into [lo, hi] (straight-line code with if/else: provable)."""
    if x < lo:
        return lo
    elif x > hi:
        return hi
    return x


def absdiff(a: int, b: int) -> int:
    d = a - b
    if d < 0:
        d = -d
    return d


def triangle(n: int) -> int:
    """A loop: outside the provable subset, so specs are tested."""
    total = 0
    for i in range(n + 1):
        total += i
    return total


def untyped(x):  # type: ignore[no-untyped-def]
    return x


def test_a_true_spec_of_straight_line_code_is_proven() -> None:
    result = check_spec(clamp, "lo <= hi", "lo <= result <= hi")
    assert result.status == "proven" and spec_verdict(result).ok
    assert check_spec(absdiff, "True", "result >= 0 and (result == a - b or result == b - a)").proven


def test_a_false_spec_is_refuted_with_inputs_that_really_fail() -> None:
    result = check_spec(clamp, "True", "lo <= result <= hi")
    assert result.status == "refuted" and result.counterexample is not None
    inputs = {k: v for k, v in result.counterexample.items() if k != "result"}
    returned = clamp(**inputs)
    assert returned == result.counterexample["result"]
    assert not (inputs["lo"] <= returned <= inputs["hi"])
    assert not spec_verdict(result).ok and "fails for" in spec_verdict(result).feedback()


def test_code_outside_the_subset_is_tested_not_proven() -> None:
    result = check_spec(triangle, "0 <= n <= 50", "2 * result == n * (n + 1)", max_examples=60)
    assert result.status == "tested" and not result.proven
    lines, first = inspect.getsourcelines(triangle)
    loop_line = first + next(i for i, line in enumerate(lines) if line.strip().startswith("for "))
    assert "not proven" in result.message and f"line {loop_line}" in result.message
    assert result.tests > 0
    assert not spec_verdict(result).ok  # tested is reported, never accepted as proof


def test_testing_still_refutes_a_wrong_spec() -> None:
    result = check_spec(triangle, "0 <= n <= 50", "result > n", max_examples=60)
    assert result.status == "refuted" and result.counterexample == {"n": 0, "result": 0}


@pytest.mark.parametrize(
    ("pre", "post", "says"),
    [
        ("lo <= hi", "result == result", "says nothing"),
        ("lo <= hi", "resutl > 0", "unknown name 'resutl'"),
        ("lo <=", "result >= lo", "precondition"),
        ("lo <= hi", "result / 2 > 0", "true division"),
    ],
)
def test_bad_specs_are_rejected(pre: str, post: str, says: str) -> None:
    result = check_spec(clamp, pre, post)
    assert result.status == "rejected" and says in result.message


def test_unannotated_parameters_are_a_usage_error() -> None:
    with pytest.raises(ConfigurationError, match="int or bool annotation"):
        check_spec(untyped, "True", "result == x")


SOURCE = '''
def total(xs, scale=2):
    """Sum, scaled."""
    acc = 0
    for x in xs:
        acc += x * scale
    return acc
'''


def test_annotations_are_accepted_only_when_mypy_passes() -> None:
    good = check_annotations(SOURCE, "def total(xs: list[int], scale: int = 2) -> int:")
    assert good.ok
    assert "def total(xs: list[int], scale: int = 2) -> int:" in good.value.source
    assert '"""Sum, scaled."""' in good.value.source
    bad = check_annotations(SOURCE, "def total(xs: list[str], scale: int = 2) -> int:")
    assert not bad.ok and "mypy" in bad.feedback() and "str" in bad.feedback()


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("def total(xs: list[int], scale: int = 3) -> int:", "Keep the name, parameters and defaults"),
        ("def total(xs: list[int]) -> int:", "Keep the name, parameters and defaults"),
        ("def sum_all(xs: list[int], scale: int = 2) -> int:", "Keep the name"),
        ("total takes a list of ints", "annotated header only"),
        ("def total(xs: list[int], scale: int = 2) -> int: return 0", "annotated header only"),
    ],
)
def test_headers_that_change_more_than_annotations_are_rejected_without_running_mypy(
    answer: str, says: str
) -> None:
    check = AnnotationCheck(SOURCE)
    verdict = check.check(answer)
    assert not verdict.ok and says in verdict.feedback()
