"""Specs beyond loops: pre/postconditions proven by Z3 or tested by hypothesis; mypy-checked annotations."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrail.errors import ConfigurationError
from guardrail.invariants.problems import Variable
from guardrail.invariants.propose import parse_expression
from guardrail.invariants.specs import AnnotationCheck, check_annotations, check_spec, harness, spec_verdict
from guardrail.invariants.specs.testing import term_tree


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


def early_zero(x: int, y: int) -> int:
    if y == 0:
        return 0
    return x // y


def guarded(x: int, y: int) -> int:
    return x // y if y != 0 else 0


def short_circuit(x: int, y: int) -> bool:
    return y != 0 and x % y == 0


def unused_division(x: int) -> int:
    _ = 100 // x
    return 1


@pytest.mark.parametrize("function", [early_zero, guarded])
def test_divisions_python_never_reaches_do_not_refute(function: object) -> None:
    assert check_spec(function, "True", "y != 0 or result == 0").proven  # type: ignore[arg-type]
    assert check_spec(short_circuit, "True", "not result or y != 0").proven


def test_a_division_by_zero_the_precondition_allows_refutes_even_when_its_value_is_unused() -> None:
    # Z3's x div 0 is some number; Python raises. The spec must exclude the input, not "prove" it.
    result = check_spec(unused_division, "True", "result == 1")
    assert result.status == "refuted" and result.counterexample == {"x": 0}
    assert "raises ZeroDivisionError" in result.message
    assert check_spec(unused_division, "x != 0", "result == 1").proven


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


# --- the harness's interpreter means what Python means ------------------------------------------------------

SPEC_EXPRESSIONS: dict[str, Callable[[int, int], object]] = {
    "x // 3 == y": lambda x, y: x // 3 == y,
    "x % -3 != y": lambda x, y: x % -3 != y,
    "x // -4 >= y - 1": lambda x, y: x // -4 >= y - 1,
    "0 <= x < y <= 5": lambda x, y: 0 <= x < y <= 5,
    "not x > y or x == 3": lambda x, y: not x > y or x == 3,
    "abs(x - y) <= 3 and min(x, y, 2) < max(x, 0)": lambda x, y: abs(x - y) <= 3 and min(x, y, 2) < max(x, 0),
    "(x > 0) == (y > 0) != (x == y)": lambda x, y: (x > 0) == (y > 0) != (x == y),
    "x * 2 - -y >= 7 or x * y < 0": lambda x, y: x * 2 - -y >= 7 or x * y < 0,
}


@pytest.fixture(scope="module")
def spec_trees() -> dict[str, harness.Tree]:
    variables = [Variable("x", "Int"), Variable("y", "Int")]
    trees = {}
    for text in SPEC_EXPRESSIONS:
        verdict = parse_expression(text, variables, linear=False)
        assert verdict.ok, verdict.feedback()
        trees[text] = term_tree(verdict.value)
    return trees


@given(x=st.integers(-30, 30), y=st.integers(-30, 30))
@settings(max_examples=80, deadline=None, derandomize=True)
def test_spec_trees_evaluate_like_python(spec_trees: dict[str, harness.Tree], x: int, y: int) -> None:
    for text, tree in spec_trees.items():
        assert harness.evaluate(tree, {"x": x, "y": y}) == SPEC_EXPRESSIONS[text](x, y), text
