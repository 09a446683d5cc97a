"""Bounded model checking: find a run that reaches an assertion violation, proving the problem has no
invariant at all (it is unsafe as written).

The loop is unrolled ``k`` times from the precondition; at each depth we ask whether the loop can exit in a
state where the postcondition fails. Auxiliary constants get fresh copies per step, so each step makes its
own nondeterministic choices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import z3

from .._deprecated import DeprecatedSpellings
from ..problems.problem import LoopProblem, State, free_constants


@dataclass(frozen=True)
class UnsafeRun(DeprecatedSpellings):
    """A concrete run to a failing assertion: the states at the loop head, first to last."""

    trace: tuple[State, ...]

    @property
    def iterations(self) -> int:
        return len(self.trace) - 1

    def describe(self) -> str:
        start, end = self.trace[0], self.trace[-1]
        steps = f"after {self.iterations} iteration{'s' if self.iterations != 1 else ''}"
        return f"from {start.describe()} the loop exits {steps} at {end.describe()} and the assertion fails"

    def to_dict(self) -> dict[str, Any]:
        return {"iterations": self.iterations, "trace": [s.to_dict() for s in self.trace]}


@dataclass(frozen=True)
class BmcResult:
    violation: UnsafeRun | None
    depth: int
    complete: bool
    seconds: float


def _copies(problem: LoopProblem, step: int) -> list[z3.ExprRef]:
    return [z3.Const(f"{v.name}@{step}", v.term().sort()) for v in problem.variables]


def find_violation(
    problem: LoopProblem, max_depth: int = 20, timeout_ms: int = 5000, budget_s: float = 10.0
) -> BmcResult:
    """The shortest violating run of at most ``max_depth`` iterations, if any.

    ``complete`` is False when a query was unknown or the time budget ran out before ``max_depth``.
    """
    started = time.perf_counter()
    state_ids = {t.get_id() for t in problem.terms() + problem.primed_terms()}
    parts = [problem.pre, problem.trans, problem.post] + (
        [problem.guard] if problem.guard is not None else []
    )
    aux = [c for c in free_constants(*parts) if c.get_id() not in state_ids]

    def instantiate(
        formula: z3.BoolRef, step: int, tag: str, current: list[z3.ExprRef], nxt: list[z3.ExprRef] | None
    ) -> z3.ExprRef:
        pairs: list[tuple[z3.ExprRef, z3.ExprRef]] = list(zip(problem.terms(), current, strict=True))
        if nxt is not None:
            pairs += list(zip(problem.primed_terms(), nxt, strict=True))
        pairs += [(a, z3.Const(f"{a.decl().name()}@{tag}{step}", a.sort())) for a in aux]
        return z3.substitute(formula, *pairs)

    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    frames = [_copies(problem, 0)]
    solver.add(instantiate(problem.pre, 0, "pre", frames[0], None))
    complete = True
    depth = 0
    for depth in range(max_depth + 1):
        if time.perf_counter() - started > budget_s:
            complete = False
            break
        here = frames[depth]
        solver.push()
        if problem.guard is not None:
            solver.add(z3.Not(instantiate(problem.guard, depth, "exit", here, None)))
        solver.add(z3.Not(instantiate(problem.post, depth, "exit", here, None)))
        answer = solver.check()
        if answer == z3.sat:
            model = solver.model()
            trace = tuple(
                State(
                    tuple((v.name, _value(model, c)) for v, c in zip(problem.variables, frame, strict=True))
                )
                for frame in frames
            )
            solver.pop()
            return BmcResult(UnsafeRun(trace), depth, True, time.perf_counter() - started)
        solver.pop()
        if answer == z3.unknown:
            complete = False
            break
        nxt = _copies(problem, depth + 1)
        frames.append(nxt)
        if problem.guard is not None:
            solver.add(instantiate(problem.guard, depth, "step", here, None))
        solver.add(instantiate(problem.trans, depth, "step", here, nxt))
    return BmcResult(None, depth, complete, time.perf_counter() - started)


def _value(model: z3.ModelRef, term: z3.ExprRef) -> int | bool:
    value = model.eval(term, model_completion=True)
    if z3.is_int_value(value):
        return int(value.as_long())
    return bool(z3.is_true(value))
