"""The shipped Racket suite: every reference solution passes its own tests in real Racket, through the same
runner and scorer that judge model outputs. A few tasks run by default; all of them with ``-m slow``."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrail.suites.case import Case
from guardrail.suites.code_tests import RacketAgainstTests
from guardrail.suites.loaders import load_suite

from .conftest import requires_racket

SUITE = Path(__file__).resolve().parents[1] / "prompts" / "suites" / "racket"
TASKS = load_suite(SUITE / "tasks.yaml", "yaml", expected="tests")
EXAMPLES = load_suite(SUITE / "examples.yaml", "yaml", expected="tests")
FAST = {"mbpp-11", "mbpp-102", "humaneval-34", "humaneval-48", "example-count-vowels"}
SCORER = RacketAgainstTests(define_only=True)

pytestmark = [requires_racket, pytest.mark.racket]


def test_the_suite_has_enough_tasks_of_the_promised_kinds() -> None:
    assert len(TASKS) >= 30 and not TASKS.problems
    assert {c.id.split("-")[0] for c in TASKS} == {"mbpp", "humaneval"}
    for case in [*TASKS, *EXAMPLES]:
        assert case.solution and set(case.variables) == {"task", "signature"}
        name = case.variables["signature"].strip("()").split()[0]
        assert all(f"({name}" in test for test in case.expected), case.id
        assert SCORER.check_for(case) is not None


def _reference(case: Case) -> None:
    verdict = SCORER.score(case.solution or "", case)
    assert verdict.ok, f"{case.id}: {verdict.feedback()}"


@pytest.mark.parametrize("case", [c for c in [*TASKS, *EXAMPLES] if c.id in FAST], ids=lambda c: c.id)
def test_some_references_pass(case: Case) -> None:
    _reference(case)


@pytest.mark.slow
@pytest.mark.parametrize("case", [*TASKS, *EXAMPLES], ids=lambda c: c.id)
def test_every_reference_passes(case: Case) -> None:
    _reference(case)


def test_a_wrong_solution_fails_its_tests() -> None:
    case = next(c for c in TASKS if c.id == "humaneval-55")
    verdict = SCORER.score("(define (fib n) n)", case)
    assert not verdict.ok and verdict.errors[0].code == "code.failed"
