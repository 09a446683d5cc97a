"""Candidate invariants in Python syntax: they mean what Python means, or get clear rejections."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrail.checks.grammar import Grammar
from guardrail.invariants import CandidateCheck, LoopProblem, load_problem, parse_candidate
from guardrail.invariants.problems import parse_python_program, problem_from_program, to_python
from guardrail.invariants.problems.term_eval import compile_term

ONE = Path(__file__).parent / "data" / "code2inv" / "c" / "1.c"


@pytest.fixture(scope="module")
def problem() -> LoopProblem:
    return load_problem(ONE)


def test_python_expr_grammar_is_lalr() -> None:
    assert Grammar.from_file("python_expr", transformer=None).algorithm == "lalr"


@pytest.mark.parametrize(
    ("text", "says", "code"),
    [
        ("x >= ", "stops too early", "parse"),
        ("x >= 1 and", "stops too early", "parse"),
        ("x && y >= 0", "use `and` instead of `&&`", "parse"),
        ("x = 1", "use == to compare", "parse"),
        ("x >= 0 and zz > 0", "unknown name 'zz'", "unknown_name"),
        ("x * y > 0", "non-linear", "nonlinear"),
        ("x // y > 0", "non-linear", "nonlinear"),
        ("x / 2 > 0", "/ is true division", "division"),
        ("x // 0 > 1", "divides by zero", "division"),
        ("x + (y > 0) > 1", "needs numbers", "ill_typed"),
        ("not x", "needs conditions", "ill_typed"),
        ("print(x) > 0", "unknown function 'print'", "unknown_name"),
        ("x", "not a condition", "ill_typed"),
        ("True", "true in every state", "vacuous"),
        ("x == x", "true in every state", "vacuous"),
        ("x >= 0 or x < 0", "true in every state", "vacuous"),
        ("x < x", "false in every state", "vacuous"),
        ("False", "false in every state", "vacuous"),
    ],
)
def test_bad_candidates_get_a_clear_rejection(problem: LoopProblem, text: str, says: str, code: str) -> None:
    verdict = parse_candidate(text, problem)
    assert not verdict.ok
    assert says in verdict.feedback() or says in verdict.errors[0].message, verdict.feedback()
    assert verdict.errors[0].line == 1 and verdict.errors[0].column is not None
    assert verdict.errors[0].code == f"invariant.{code}" and verdict.errors[0].check == "candidate"


def test_rejections_point_at_the_offending_place(problem: LoopProblem) -> None:
    verdict = parse_candidate("x >= 0 and zz > 0", problem)
    assert verdict.errors[0].column == 12


def test_nonlinear_terms_are_fine_in_a_nonlinear_problem() -> None:

    program = parse_python_program("x: int\ny: int\nwhile x > 0:\n    y = y * x\n    x -= 1\nassert y == y\n")
    nonlinear = problem_from_program(program, name="nl", kind="python")
    assert not nonlinear.is_linear()
    assert parse_candidate("x * y >= 0 or y < 0", nonlinear).ok


def test_accepted_candidates_split_into_conjuncts(problem: LoopProblem) -> None:
    verdict = CandidateCheck(problem).check("  0 <= y <= 100000 and x >= y  ")
    assert verdict.ok
    assert len(verdict.value.conjuncts()) == 3


# --- semantics: the Z3 term means what the Python expression means -----------------------------------------

# Each text with the same expression written as Python code: the reference semantics.
EXPRESSIONS: dict[str, Callable[[int, int], bool]] = {
    "x // 3 == y": lambda x, y: x // 3 == y,
    "x % 4 == 1": lambda x, y: x % 4 == 1,
    "x // -3 >= y": lambda x, y: x // -3 >= y,
    "x % -3 != 0": lambda x, y: x % -3 != 0,
    "-x + 2 * y <= 7": lambda x, y: -x + 2 * y <= 7,
    "0 <= x < y <= 5": lambda x, y: 0 <= x < y <= 5,
    "not x > y or x == 3": lambda x, y: not x > y or x == 3,
    "x > 1 and y > 1 or x < -1": lambda x, y: (x > 1 and y > 1) or x < -1,
    "abs(x - y) <= 3": lambda x, y: abs(x - y) <= 3,
    "min(x, y) >= -2 and max(x, y, 0) <= 4": lambda x, y: min(x, y) >= -2 and max(x, y, 0) <= 4,
    "(x > 0) == (y > 0)": lambda x, y: (x > 0) == (y > 0),
    "x != y != 0": lambda x, y: x != y != 0,
}


@pytest.fixture(scope="module")
def compiled(problem: LoopProblem) -> dict[str, Callable[..., object]]:
    terms: dict[str, Callable[..., object]] = {}
    for text in EXPRESSIONS:
        verdict = parse_candidate(text, problem)
        assert verdict.ok, (text, verdict.feedback())
        terms[text] = compile_term(verdict.value.term)
    return terms


@given(x=st.integers(-20, 20), y=st.integers(-20, 20))
@settings(max_examples=60, deadline=None, derandomize=True)
def test_terms_agree_with_python_evaluation(
    compiled: dict[str, Callable[..., object]], x: int, y: int
) -> None:
    env = {"x": x, "y": y}
    for text, evaluate in compiled.items():
        assert evaluate(env) == EXPRESSIONS[text](x, y), text


def test_rendering_round_trips_through_the_parser(problem: LoopProblem) -> None:
    for text in EXPRESSIONS:
        original = parse_candidate(text, problem).value.term
        shown = to_python(original)
        again = parse_candidate(shown, problem)
        assert again.ok, (text, shown, again.feedback())
        solver = z3.Solver()
        solver.add(original != again.value.term)
        assert solver.check() == z3.unsat, (text, shown)


def test_long_outputs_are_rejected_before_parsing(problem: LoopProblem) -> None:
    text = " and ".join(f"x >= {i}" for i in itertools.islice(itertools.count(), 2000))
    verdict = parse_candidate(text, problem)
    assert not verdict.ok and "too long" in verdict.feedback()
    assert verdict.errors[0].code == "invariant.too_long"
