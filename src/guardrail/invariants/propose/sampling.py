"""Reachable states: run the loop from sampled initial states.

Initial states are models of the precondition, diversified by random "hint" values passed as assumptions
(hints that conflict are dropped through the unsat core). Problems that come from a program are then run
by the interpreter in ``program.py``; problems given only as formulas are stepped with Z3, one successor at
a time, with random hints for the next state. Every state returned is reachable: the proposer may treat
them as positive examples.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

import z3

from ..problems.interpreter import run_loop
from ..problems.problem import LoopProblem, model_value
from ..problems.values import Valuation, Value

_HINT_SPREAD = 12


def _hint_values(problem: LoopProblem, rng: random.Random) -> list[int]:
    small = [rng.randint(-_HINT_SPREAD, _HINT_SPREAD) for _ in range(3)]
    near_constants = [c + rng.randint(-2, 2) for c in problem.constants if abs(c) <= 10_000]
    return small + near_constants


def _solve_with_hints(solver: z3.Solver, hints: list[z3.BoolRef]) -> z3.ModelRef | None:
    """A model satisfying the hints that survive: each unsat core's members are dropped, then retry."""
    active = list(hints)
    for _ in range(len(hints) + 1):
        answer = solver.check(*active)
        if answer == z3.sat:
            return solver.model()
        if answer == z3.unknown:
            return None
        core = {c.get_id() for c in solver.unsat_core()}
        if not core:
            break
        active = [h for h in active if h.get_id() not in core]
    return solver.model() if solver.check() == z3.sat else None


def initial_states(
    problem: LoopProblem, rng: random.Random, count: int, timeout_ms: int = 2000
) -> list[Valuation]:
    """Up to ``count`` distinct states satisfying the precondition."""
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(problem.pre)
    seen: set[tuple[Value, ...]] = set()
    states: list[Valuation] = []
    for _ in range(count * 2):
        if len(states) >= count:
            break
        hints = [_hint(v.term(), v.sort, rng, problem) for v in problem.variables]
        model = _solve_with_hints(solver, hints)
        if model is None:
            break
        state = {v.name: model_value(model, v.term()) for v in problem.variables}
        key = tuple(state.values())
        if key not in seen:
            seen.add(key)
            states.append(state)
    return states


def _hint(term: z3.ExprRef, sort: str, rng: random.Random, problem: LoopProblem) -> z3.BoolRef:
    if sort == "Bool":
        return term == z3.BoolVal(rng.random() < 0.5)
    return term == rng.choice(_hint_values(problem, rng))


def _successor(
    problem: LoopProblem, solver: z3.Solver, state: Valuation, rng: random.Random
) -> Valuation | None:
    solver.push()
    try:
        for v in problem.variables:
            value = state[v.name]
            solver.add(v.term() == (z3.BoolVal(value) if isinstance(value, bool) else z3.IntVal(value)))
        # Prefer a step that changes something (templates allow stuttering), then values near the
        # current ones, which keeps the walk local as real executions are.
        hints: list[z3.BoolRef] = [z3.Or([v.primed() != v.term() for v in problem.variables])]
        for v in problem.variables:
            if v.sort == "Int" and rng.random() < 0.5:
                hints.append(v.primed() == int(state[v.name]) + rng.randint(-2, 2))
        model = _solve_with_hints(solver, hints)
        if model is None:
            return None
        return {v.name: model_value(model, v.primed()) for v in problem.variables}
    finally:
        solver.pop()


def reachable_states(
    problem: LoopProblem,
    rng: random.Random,
    *,
    starts: int = 24,
    max_steps: int = 400,
    keep: int = 400,
    time_budget_s: float = 3.0,
    timeout_ms: int = 2000,
    extra_starts: Sequence[Valuation] = (),
) -> list[Valuation]:
    """Distinct reachable states (loop-head states of runs from sampled initial states)."""
    deadline = time.monotonic() + time_budget_s
    begin = list(extra_starts) + initial_states(problem, rng, starts, timeout_ms)
    seen: dict[tuple[Value, ...], Valuation] = {}

    def add(state: Valuation) -> None:
        key = tuple(state[v.name] for v in problem.variables)
        seen.setdefault(key, state)

    stepper: z3.Solver | None = None
    for start in begin:
        if time.monotonic() > deadline:
            break
        trace: list[Valuation]
        if problem.program is not None:
            trace = run_loop(problem.program, start, rng, max_steps)
        else:
            if stepper is None:
                stepper = z3.Solver()
                stepper.set("timeout", timeout_ms)
                if problem.guard is not None:
                    stepper.add(problem.guard)
                stepper.add(problem.trans)
            trace = [start]
            for _ in range(min(max_steps, 40)):
                if time.monotonic() > deadline:
                    break
                nxt = None
                for _retry in range(3):  # a stuttering step (allowed by templates) teaches nothing
                    nxt = _successor(problem, stepper, trace[-1], rng)
                    if nxt != trace[-1]:
                        break
                if nxt is None or nxt == trace[-1]:
                    break
                trace.append(nxt)
        for state in _thin(trace, 60):
            add(state)
    states = list(seen.values())
    if len(states) > keep:
        states = rng.sample(states, keep)
    return states


def _thin(trace: list[Valuation], head: int) -> list[Valuation]:
    """All of the first ``head`` states, then a geometric selection, and always the last one."""
    if len(trace) <= head:
        return trace
    picked = trace[:head]
    i = head
    step = 2
    while i < len(trace) - 1:
        picked.append(trace[i])
        i += step
        step = min(step * 2, 64)
    picked.append(trace[-1])
    return picked
