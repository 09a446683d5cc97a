"""The data-driven proposer on real Code2Inv programs, ICE refinement, and unsafe programs."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from pathlib import Path

import pytest
import z3

from guardrail.invariants import (
    LoopProblem,
    SolveBudget,
    check_invariant,
    houdini,
    load_problem,
    propose_data_driven,
    solve,
)
from guardrail.invariants.problems.interpreter import evaluate, run_loop
from guardrail.invariants.proof import find_violation
from guardrail.invariants.propose import DataDrivenProposer
from guardrail.invariants.propose.atoms import equality_atoms, make_atoms, relevant_variables
from guardrail.invariants.propose.ice import Examples, learn

DATA = Path(__file__).parent / "data"
C_DIR = DATA / "code2inv" / "c"
SMT_DIR = DATA / "code2inv" / "c_smt2"


@pytest.mark.parametrize(
    "path",
    [
        C_DIR / "1.c",
        C_DIR / "15.c",
        C_DIR / "90.c",
        C_DIR / "110.c",
        SMT_DIR / "100.c.smt",
        DATA / "invariants" / "count_v2.sl",
    ],
    ids=lambda p: p.name,
)
def test_data_driven_proposer_solves_real_programs(path: Path) -> None:
    problem = load_problem(path)
    outcome = propose_data_driven(problem, budget_s=30, seed=0)
    assert outcome.invariant is not None, outcome.notes
    # Re-check from scratch: nothing counts unless a fresh solver proves it.
    assert check_invariant(problem, outcome.invariant).proven


def test_equalities_come_from_the_samples() -> None:
    problem = load_problem(C_DIR / "100.c")
    x, y, n = (z3.Int(name) for name in ("x", "y", "n"))
    samples = [{"n": 5, "x": 5 - k, "y": k} for k in range(6)] + [
        {"n": 2, "x": 2 - k, "y": k} for k in range(3)
    ]
    atoms = equality_atoms(problem.variables, samples)
    assert len(atoms) == 1
    solver = z3.Solver()
    solver.add(atoms[0] != (x + y == n))
    assert solver.check() == z3.unsat


def test_relevant_variables_skip_decoys() -> None:
    problem = load_problem(C_DIR / "90.c")
    names = {v.name for v in relevant_variables(problem)}
    assert {"lock", "x", "y"} <= names
    assert not names & {"v1", "v2", "v3"}


def test_ice_learner_separates_positives_from_negatives_respecting_implications() -> None:
    x = z3.Int("x")
    atoms = make_atoms([x >= 0, x <= 10, x == 5, x >= 3], "test")
    # x <= 10 would fit the positives and negatives, but the step 10 -> 11 must stay inside.
    examples = Examples(
        positives=[{"x": 0}, {"x": 10}],
        negatives=[{"x": -1}, {"x": -5}],
        implications=[({"x": 10}, {"x": 11})],
    )
    phi = learn(atoms, examples)
    assert phi is not None
    holds = {v: z3.is_true(z3.simplify(z3.substitute(phi, (x, z3.IntVal(v))))) for v in (0, 10, 11, -1, -5)}
    assert holds == {0: True, 10: True, 11: True, -1: False, -5: False}
    # With an extra negative at 11 the examples contradict each other: no formula, and no guess.
    examples.negatives.append({"x": 11})
    assert learn(atoms, examples) is None


def test_refinement_learns_from_counterexamples() -> None:
    # 110.c needs a disjunction; without conditional candidates Houdini alone cannot prove it, ICE can.
    problem = load_problem(C_DIR / "110.c")
    proposer = DataDrivenProposer(problem, seed=1)
    proposer.sample(2.0)
    plain = [
        a.term for a in proposer.atoms() if all(a.holds(s) is not False for s in proposer.examples.positives)
    ]
    background = houdini(problem, plain).invariant()
    assert not check_invariant(problem, background).proven
    outcome = proposer.refine(background, time.monotonic() + 30, max_rounds=40)
    assert outcome.invariant is not None
    assert check_invariant(problem, outcome.invariant).proven
    assert outcome.rounds >= 1


def test_unsafe_program_gets_a_real_violating_run() -> None:
    problem = load_problem(C_DIR / "26.c")
    result = find_violation(problem, max_depth=10)
    assert result.violation is not None
    trace = [s.to_dict() for s in result.violation.trace]
    assert problem.program is not None
    # Replay: the last state exits the loop and fails the assertion.
    rng = random.Random(0)
    assert not evaluate(problem.program.loop.cond, trace[-1], rng)
    assert not z3.is_true(z3.simplify(z3.substitute(problem.post, *_bind(problem, trace[-1]))))
    assert run_loop(problem.program, trace[0], rng, 50)[-1] == trace[-1]


def _bind(problem: LoopProblem, state: Mapping[str, int | bool]) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
    return [(v.term(), z3.IntVal(state[v.name])) for v in problem.variables]


def test_solve_reports_unsafe_not_unsolved() -> None:
    problem = load_problem(C_DIR / "26.c")
    result = solve(problem, budget=SolveBudget(seconds=5))
    assert result.outcome == "unsafe" and result.violation is not None
    assert result.certificate is None


def test_safe_program_has_no_short_violation() -> None:
    result = find_violation(load_problem(C_DIR / "1.c"), max_depth=5)
    assert result.violation is None and result.complete
