"""Verification conditions, Houdini, certificates, and "unknown is never valid"."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import z3

from guardrail.invariants import (
    Certificate,
    InvariantCheck,
    LoopProblem,
    State,
    Status,
    Transition,
    certify,
    check_invariant,
    houdini,
    load_problem,
    parse_candidate,
)
from guardrail.invariants.problems import parse_python_program, problem_from_program
from guardrail.invariants.problems.interpreter import evaluate, execute
from guardrail.invariants.proof import check_consecution, check_initiation, check_safety, shrink
from guardrail.invariants.proof.houdini import drop_implied

DATA = Path(__file__).parent / "data"
ONE = DATA / "code2inv" / "c" / "1.c"


def term(text: str, problem: LoopProblem) -> z3.BoolRef:
    verdict = parse_candidate(text, problem)
    assert verdict.ok, verdict.feedback()
    return verdict.value.term


def test_the_known_invariant_of_1c_passes_all_three_checks() -> None:
    problem = load_problem(ONE)
    result = check_invariant(problem, term("x >= 1 and y >= 0 and x >= y", problem))
    assert [r.condition for r in result.results] == ["initiation", "consecution", "safety"]
    assert all(r.status is Status.VALID for r in result.results)
    assert result.proven


def test_x_ge_y_alone_has_a_real_consecution_counterexample() -> None:
    problem = load_problem(ONE)
    inv = term("x >= y", problem)
    assert check_initiation(problem, inv).valid
    assert check_safety(problem, inv).valid
    result = check_consecution(problem, inv)
    assert result.status is Status.INVALID
    cex = result.counterexample
    assert isinstance(cex, Transition)
    before, after = cex.before.to_dict(), cex.after.to_dict()
    # The pair is a real step of the program from a state satisfying x >= y to one violating it.
    assert before["x"] >= before["y"] and after["x"] < after["y"]
    assert problem.program is not None
    assert evaluate(problem.program.loop.cond, before, random.Random(0))
    state = dict(before)
    execute(problem.program.loop.body, state, random.Random(0), problem.program.sorts())
    assert state == after
    assert result.feedback().startswith(f"not inductive: from {cex.before.describe()} the loop reaches")


def test_initiation_and_safety_counterexamples_are_states() -> None:
    problem = load_problem(ONE)
    init = check_initiation(problem, term("x >= 2", problem))
    assert init.status is Status.INVALID and init.counterexample is not None
    assert isinstance(init.counterexample, State)
    assert init.counterexample.to_dict() == {"x": 1, "y": 0}  # the only initial state
    weak = check_safety(problem, term("y >= 0", problem))
    assert weak.status is Status.INVALID
    assert isinstance(weak.counterexample, State)
    bad = weak.counterexample.to_dict()
    assert bad["y"] >= 100000 and bad["x"] < bad["y"]


@pytest.mark.parametrize(
    ("text", "code"),
    [("x >= 2", "invariant.initiation"), ("x >= y", "invariant.consecution"), ("y >= 0", "invariant.safety")],
)
def test_invariant_check_rejections_carry_the_failed_condition_as_code(text: str, code: str) -> None:
    problem = load_problem(ONE)
    verdict = InvariantCheck(problem).check(parse_candidate(text, problem).value)
    assert not verdict.ok and verdict.errors[0].code == code
    assert verdict.errors[0].feedback in verdict.feedback()


def _fermat_problem() -> LoopProblem:
    # x³ + y³ = z³ has no positive solutions, but Z3 cannot show it quickly: the safety check times out.
    program = parse_python_program(
        "x: int\ny: int\nz: int\nassume(x > 0 and y > 0 and z > 0)\nwhile unknown():\n    pass\n"
        "assert x * x * x + y * y * y != z * z * z\n"
    )
    return problem_from_program(program, name="fermat", kind="python")


def test_a_timeout_is_unknown_never_valid() -> None:
    problem = _fermat_problem()
    inv = z3.And(z3.Int("x") > 0, z3.Int("y") > 0, z3.Int("z") > 0)
    safety = check_safety(problem, inv, timeout_ms=1)
    assert safety.status is Status.UNKNOWN
    assert not safety.valid
    overall = check_invariant(problem, inv, timeout_ms=1)
    assert not overall.proven and overall.status is not Status.VALID
    assert certify(problem, inv, timeout_ms=1) is None
    verdict = InvariantCheck(problem, timeout_ms=1).check(inv)
    assert not verdict.ok and "invariant.unknown" in {e.code for e in verdict.errors}


def test_houdini_keeps_exactly_the_largest_inductive_subset() -> None:
    problem = load_problem(ONE)
    texts = ["x >= y", "x >= 1", "y >= 0", "y <= 100000", "x >= 5", "y <= 5", "x <= 100", "x + y >= 1"]
    pool = [term(t, problem) for t in texts]
    result = houdini(problem, pool)
    assert result.status is Status.VALID
    kept = result.invariant()
    assert check_initiation(problem, kept).valid and check_consecution(problem, kept).valid
    # Largest: adding back any dropped candidate breaks initiation or consecution.
    dropped = [c for c in pool if all(c.get_id() != k.get_id() for k in result.kept)]
    assert dropped
    for c in dropped:
        bigger = z3.And(kept, c)
        assert not (check_initiation(problem, bigger).valid and check_consecution(problem, bigger).valid)
    assert {c.get_id() for c in result.dropped_initially} == {term("x >= 5", problem).get_id()}


def test_houdini_reports_unknown_when_z3_gives_up() -> None:
    problem = _fermat_problem()
    x, y, z = z3.Ints("x y z")
    hard = [x * x * x + y * y * y != z * z * z, x > 0]
    result = houdini(problem, hard, timeout_ms=1)
    assert result.status is Status.UNKNOWN


def test_shrink_keeps_a_proven_invariant_and_drops_implied_conjuncts() -> None:
    problem = load_problem(ONE)
    big = [term(t, problem) for t in ["x >= y", "x >= 1", "y >= 0", "y <= 100000", "x + y >= 1", "x >= 0"]]
    assert check_invariant(problem, z3.And(*big)).proven
    small = shrink(problem, big)
    assert small is not None and len(small) < len(big)
    assert check_invariant(problem, z3.And(*small)).proven
    assert len(drop_implied([term("x >= 1", problem), term("x >= 0", problem)])) == 1


def test_certificate_exports_smtlib_that_z3_reads_back_as_unsat() -> None:
    problem = load_problem(ONE)
    certificate = certify(problem, term("x >= 1 and y >= 0 and x >= y", problem))
    assert isinstance(certificate, Certificate)
    assert certificate.text == "x >= 1 and y >= 0 and x >= y"
    for name, script in certificate.queries().items():
        solver = z3.Solver()
        solver.from_string(script)
        assert solver.check() == z3.unsat, name
    # The combined script, run as a whole by Z3's SMT-LIB front end, answers unsat three times.
    answers = z3.Z3_eval_smtlib2_string(z3.main_ctx().ref(), certificate.smtlib())
    assert answers.split() == ["unsat", "unsat", "unsat"]
    # A wrong invariant gets no certificate.
    assert certify(problem, term("x >= y", problem)) is None


def test_certificate_script_is_sat_for_a_broken_step() -> None:
    # The exported consecution query really encodes the check: a non-inductive invariant makes it sat.
    problem = load_problem(ONE)
    good = certify(problem, term("x >= 1 and y >= 0 and x >= y", problem))
    assert good is not None
    weak = Certificate(problem, term("x >= y", problem), good.result)
    solver = z3.Solver()
    solver.from_string(weak.queries()["consecution"])
    assert solver.check() == z3.sat
