"""The three verification conditions, one Z3 query each.

Each query asks for a counterexample; ``unsat`` means the condition is valid. A ``sat`` answer yields a typed
counterexample (a state, or a pair of states for consecution). A timeout or ``unknown`` is reported as
``Status.UNKNOWN`` — never as valid.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

import z3

from ...checks.base import Check, ErrorDetail, Verdict
from .._deprecated import DeprecatedSpellings
from ..problems.problem import LoopProblem, State

Condition = Literal["initiation", "consecution", "safety"]
CONDITIONS: tuple[Condition, ...] = ("initiation", "consecution", "safety")
DEFAULT_TIMEOUT_MS = 10_000


class Status(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Transition(DeprecatedSpellings):
    """A step ``before → after`` of the loop: the counterexample to consecution."""

    before: State
    after: State

    def describe(self) -> str:
        return f"from {self.before.describe()} the loop reaches {self.after.describe()}"

    def to_dict(self) -> dict[str, Any]:
        return {"before": self.before.to_dict(), "after": self.after.to_dict()}


#: What a failed condition shows: a state (initiation, safety) or a step (consecution). Not to be confused
#: with ``chains``' counterexample traces.
InvariantCounterexample = State | Transition


@dataclass(frozen=True)
class CheckResult(DeprecatedSpellings):
    condition: Condition
    status: Status
    counterexample: InvariantCounterexample | None = None
    reason: str = ""
    seconds: float = 0.0

    @property
    def valid(self) -> bool:
        return self.status is Status.VALID

    def feedback(self, guarded: bool = True) -> str:
        """One sentence for a model (and a person) saying what is wrong, with the concrete states."""
        if self.status is Status.VALID:
            return f"{self.condition}: valid"
        if self.status is Status.UNKNOWN:
            return (
                f"Z3 could not decide {self.condition} ({self.reason or 'unknown'}); try a simpler invariant."
            )
        cex = self.counterexample
        if self.condition == "initiation":
            assert isinstance(cex, State)
            return f"not true initially: the loop can start at {cex.describe()}, where it is false."
        if self.condition == "consecution":
            assert isinstance(cex, Transition)
            return f"not inductive: {cex.describe()}, where it is false."
        assert isinstance(cex, State)
        if guarded:
            return f"too weak: at {cex.describe()} it holds and the loop can exit, but the assertion fails."
        return f"too weak: it holds at {cex.describe()}, where the property fails."

    @property
    def code(self) -> str:
        """The stable error code of this outcome: ``invariant.<condition>``, or ``invariant.unknown``."""
        if self.status is Status.UNKNOWN:
            return "invariant.unknown"
        return f"invariant.{self.condition}"

    def to_dict(self) -> dict[str, Any]:
        cex = self.counterexample.to_dict() if self.counterexample is not None else None
        return {
            "condition": self.condition,
            "status": self.status.value,
            "counterexample": cex,
            "reason": self.reason,
            "seconds": round(self.seconds, 4),
        }


@dataclass(frozen=True)
class InvariantResult:
    """The three checks of one invariant; ``proven`` only when all three are valid."""

    results: tuple[CheckResult, ...]
    guarded: bool = True
    seconds: float = field(default=0.0)

    @property
    def proven(self) -> bool:
        return len(self.results) == 3 and all(r.valid for r in self.results)

    @property
    def status(self) -> Status:
        if self.proven:
            return Status.VALID
        if any(r.status is Status.INVALID for r in self.results):
            return Status.INVALID
        return Status.UNKNOWN

    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.valid]

    def feedback(self) -> str:
        return " ".join(r.feedback(self.guarded) for r in self.failures())

    def result(self, condition: Condition) -> CheckResult | None:
        return next((r for r in self.results if r.condition == condition), None)


def _query(
    problem: LoopProblem,
    condition: Condition,
    formulas: list[z3.BoolRef],
    timeout_ms: int,
    primed: bool = False,
) -> CheckResult:
    started = time.perf_counter()
    solver = z3.Solver()
    solver.set("timeout", max(1, int(timeout_ms)))
    solver.add(*formulas)
    answer = solver.check()
    seconds = time.perf_counter() - started
    if answer == z3.unsat:
        return CheckResult(condition, Status.VALID, seconds=seconds)
    if answer == z3.sat:
        model = solver.model()
        before = problem.state_from_model(model)
        cex: InvariantCounterexample = (
            Transition(before, problem.state_from_model(model, primed=True)) if primed else before
        )
        return CheckResult(condition, Status.INVALID, cex, seconds=seconds)
    return CheckResult(condition, Status.UNKNOWN, reason=solver.reason_unknown(), seconds=seconds)


def check_initiation(
    problem: LoopProblem, invariant: z3.BoolRef, timeout_ms: int = DEFAULT_TIMEOUT_MS
) -> CheckResult:
    """P ⇒ I: a counterexample is an initial state where I is false."""
    return _query(problem, "initiation", [problem.pre, z3.Not(invariant)], timeout_ms)


def check_consecution(
    problem: LoopProblem, invariant: z3.BoolRef, timeout_ms: int = DEFAULT_TIMEOUT_MS
) -> CheckResult:
    """I ∧ B ∧ T ⇒ I': a counterexample is a step from a state satisfying I to one that does not."""
    guard = [problem.guard] if problem.guard is not None else []
    formulas = [invariant, *guard, problem.trans, z3.Not(problem.prime(invariant))]
    return _query(problem, "consecution", formulas, timeout_ms, primed=True)


def check_safety(
    problem: LoopProblem, invariant: z3.BoolRef, timeout_ms: int = DEFAULT_TIMEOUT_MS
) -> CheckResult:
    """I ∧ ¬B ⇒ Q: a counterexample is a state satisfying I where the loop may exit and Q fails."""
    exit_ = [z3.Not(problem.guard)] if problem.guard is not None else []
    return _query(problem, "safety", [invariant, *exit_, z3.Not(problem.post)], timeout_ms)


def check_invariant(
    problem: LoopProblem,
    invariant: z3.BoolRef,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    *,
    stop_at_first: bool = False,
) -> InvariantResult:
    """All three conditions (or up to the first that is not valid, with ``stop_at_first``)."""
    started = time.perf_counter()
    results: list[CheckResult] = []
    for check in (check_initiation, check_consecution, check_safety):
        result = check(problem, invariant, timeout_ms)
        results.append(result)
        if stop_at_first and not result.valid:
            break
    return InvariantResult(
        tuple(results), guarded=problem.guard is not None, seconds=time.perf_counter() - started
    )


class InvariantCheck(Check):
    """A check whose input is an ``InvariantCandidate`` (from ``CandidateCheck``) or a Z3 Boolean term:
    accepted when Z3 proves all three conditions.

    The rejection's feedback is the concrete repair request, e.g. "not inductive: from x = -1, y = -1 the
    loop reaches x = -2, y = 0, where it is false."
    """

    name = "invariant"

    def __init__(self, problem: LoopProblem, timeout_ms: int = DEFAULT_TIMEOUT_MS):
        self.problem = problem
        self.timeout_ms = timeout_ms

    def check(self, value: Any) -> Verdict:
        term = getattr(value, "term", value)
        if not isinstance(term, z3.BoolRef):
            raise TypeError(
                f"InvariantCheck needs an InvariantCandidate or a Z3 Boolean term, got {type(value).__name__}"
            )
        outcome = check_invariant(self.problem, term, self.timeout_ms, stop_at_first=True)
        if outcome.proven:
            return Verdict.accept(value)
        errors = [
            ErrorDetail(
                check=self.name,
                message=f"{r.condition}: {r.feedback(outcome.guarded)}",
                feedback=r.feedback(outcome.guarded),
                expected=f"{r.condition} valid",
                code=r.code,
            )
            for r in outcome.failures()
        ]
        return Verdict.reject(*errors)
