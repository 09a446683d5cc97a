"""One loop over the proposers, within budgets of seconds and model calls.

1. The model (if any) proposes, with counterexample-driven repair (``model_proposer``). A proven answer
   is certified and returned; otherwise its well-formed conjuncts join the candidate pool.
2. The data-driven proposer samples, runs Houdini over everything (including the model's conjuncts) and
   refines with ICE counterexamples until the time budget ends.
3. If nothing is proven, bounded model checking looks for a run that violates the assertion: such a
   problem is reported unsafe (no invariant exists), not merely unsolved.

Nothing is reported solved unless ``certify`` (three fresh Z3 queries) proves the invariant.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import z3

from .._sync import run_sync
from ..models.base import Model
from ._deprecated import DeprecatedSpellings
from .problems.problem import LoopProblem
from .proof.certificate import Certificate, certify
from .proof.unsafe import UnsafeRun, find_violation
from .propose.datadriven import DataDrivenProposer
from .propose.model import ModelProposal, propose_with_model

Outcome = Literal["solved", "unsafe", "unknown"]
TraceSink = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class SolveBudget:
    """``seconds`` of wall time per problem; at most ``model_calls`` model requests; Z3 query timeout."""

    seconds: float = 60.0
    model_calls: int = 4
    timeout_ms: int = 10_000
    #: Depth of the bounded search for assertion violations on unsolved problems.
    bmc_depth: int = 20


@dataclass
class SolveResult(DeprecatedSpellings):
    problem: LoopProblem
    outcome: Outcome
    certificate: Certificate | None = None
    violation: UnsafeRun | None = None
    #: Which proposer produced the proven invariant: "model", "data-driven", "data-driven+model".
    found_by: str | None = None
    proposals: int = 0
    #: ICE rounds and sampling attempts the data-driven proposer used.
    refinement_rounds: int = 0
    sampling_attempts: int = 0
    model_calls: int = 0
    model_texts: list[str] = field(default_factory=list)
    #: Wall time of the model phase (model calls and the checks of their answers).
    model_seconds: float = 0.0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def solved(self) -> bool:
        return self.outcome == "solved"

    @property
    def invariant_text(self) -> str | None:
        return self.certificate.text if self.certificate is not None else None

    @property
    def solver_seconds(self) -> float:
        return max(0.0, self.seconds - self.model_seconds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem": self.problem.name,
            "source": str(self.problem.source) if self.problem.source else None,
            "kind": self.problem.kind,
            "outcome": self.outcome,
            "invariant": self.invariant_text,
            "found_by": self.found_by,
            "violation": self.violation.describe() if self.violation else None,
            "proposals": self.proposals,
            "refinement_rounds": self.refinement_rounds,
            "sampling_attempts": self.sampling_attempts,
            "model_calls": self.model_calls,
            "model_answers": self.model_texts,
            "seconds": round(self.seconds, 3),
            "model_seconds": round(self.model_seconds, 3),
            "solver_seconds": round(self.solver_seconds, 3),
            "notes": self.notes,
        }


async def asolve(
    problem: LoopProblem,
    *,
    model: Model | None = None,
    budget: SolveBudget | None = None,
    seed: int = 0,
    trace: TraceSink | None = None,
    chat: bool = False,
) -> SolveResult:
    """Find and certify an invariant of ``problem``, or show it unsafe, within ``budget``.

    ``chat=True`` sends the model's prompt as a chat message (for servers that only do chat).
    """
    budget = budget or SolveBudget()
    emit = trace or (lambda event: None)
    started = time.monotonic()
    deadline = started + budget.seconds
    result = SolveResult(problem, "unknown")

    def finish(outcome: Outcome) -> SolveResult:
        result.outcome = outcome
        result.seconds = time.monotonic() - started
        emit({"event": "done", "problem": problem.name, **result.to_dict()})
        return result

    extra: list[z3.BoolRef] = []
    model_ids: set[int] = set()
    if model is not None and budget.model_calls > 0:
        asked = time.monotonic()
        proposal = await _ask_model(problem, model, budget, deadline, emit, chat)
        result.model_calls = proposal.calls
        result.model_texts = [a.text for a in proposal.answers]
        # Wall time of the whole model phase: calls (including any cut off by the time limit) and the
        # checks of their answers. Everything else is solver time.
        result.model_seconds = time.monotonic() - asked
        result.proposals += len(proposal.answers)
        if proposal.invariant is not None:
            result.certificate = certify(problem, proposal.invariant, budget.timeout_ms)
            if result.certificate is not None:
                result.found_by = "model"
                return finish("solved")
        extra = proposal.conjuncts
        # The proposer simplifies candidates before Houdini; compare in that form.
        model_ids = {z3.simplify(c).get_id() for c in extra}

    proposer = DataDrivenProposer(
        problem, seed=seed, timeout_ms=budget.timeout_ms, trace=lambda e: emit({"problem": problem.name, **e})
    )
    proposer.extra.extend(extra)
    outcome = proposer.run(deadline)
    result.proposals += outcome.proposals
    result.refinement_rounds = outcome.rounds
    result.sampling_attempts = outcome.attempts
    result.notes.extend(outcome.notes)
    if outcome.invariant is not None:
        result.certificate = certify(problem, outcome.invariant, budget.timeout_ms)
        if result.certificate is not None:
            used = {c.get_id() for c in _conjuncts(outcome.invariant)}
            result.found_by = "data-driven+model" if used & model_ids else "data-driven"
            return finish("solved")
        result.notes.append("the data-driven invariant failed re-certification (a Z3 timeout?)")

    remaining = deadline - time.monotonic()
    bmc = find_violation(problem, budget.bmc_depth, budget.timeout_ms, budget_s=max(1.0, remaining))
    if bmc.violation is not None:
        result.violation = bmc.violation
        return finish("unsafe")
    if not bmc.complete:
        result.notes.append(f"no violation within {bmc.depth} iterations (search incomplete)")
    else:
        result.notes.append(f"no violation within {bmc.depth} iterations")
    return finish("unknown")


async def _ask_model(
    problem: LoopProblem, model: Model, budget: SolveBudget, deadline: float, emit: TraceSink, chat: bool
) -> ModelProposal:
    # The model gets at most half the time: the data-driven proposer needs the rest.
    seconds = max(1.0, (deadline - time.monotonic()) / 2)
    proposal = await propose_with_model(
        problem, model, attempts=budget.model_calls, timeout_ms=budget.timeout_ms, seconds=seconds, chat=chat
    )
    for answer in proposal.answers:
        emit(
            {
                "event": "model",
                "problem": problem.name,
                "answer": answer.text,
                "feedback": answer.feedback or "proven",
            }
        )
    return proposal


def _conjuncts(term: z3.BoolRef) -> list[z3.BoolRef]:
    if z3.is_and(term):
        return [c for child in term.children() for c in _conjuncts(child)]
    return [term]


def solve(
    problem: LoopProblem,
    *,
    model: Model | None = None,
    budget: SolveBudget | None = None,
    seed: int = 0,
    trace: TraceSink | None = None,
    chat: bool = False,
) -> SolveResult:
    """Sync facade of ``asolve``."""
    return run_sync(asolve(problem, model=model, budget=budget, seed=seed, trace=trace, chat=chat), "solve")
