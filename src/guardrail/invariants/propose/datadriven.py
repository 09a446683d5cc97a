"""The data-driven proposer: sample, guess atoms, prune with Houdini, refine with counterexamples.

1. Run the loop from sampled initial states; every state seen is reachable (a positive example).
2. Enumerate atoms (``atoms.py``): octagonal bounds, equalities from linear algebra over the samples, the
   program's predicates, and conditional atoms ``p ∨ a``. Keep those true on every sample.
3. Houdini keeps the largest inductive subset ``H``. If ``H`` proves the assertion, done.
4. Otherwise ICE refinement: learn a small DNF ``φ`` over the atoms that separates positives from the
   states the safety check shows to be bad, conjoin it with ``H``, check, and turn each failed check into a
   new example (initiation → positive, consecution → implication pair, safety → negative). Repeat.

Every answer is an invariant Z3 proved all three conditions for; the caller still certifies it afresh.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from ..problems.interpreter import run_loop
from ..problems.problem import LoopProblem, Variable, free_constants
from ..problems.projection import project
from ..problems.values import Valuation, Value
from ..proof.houdini import HoudiniResult, houdini, shrink
from ..proof.vcs import CheckResult, Status, Transition, check_consecution, check_initiation, check_safety
from .atoms import (
    Atom,
    conditional_candidates,
    make_atoms,
    program_literals,
    relevant_variables,
    state_atoms,
    true_on,
)
from .ice import Examples, learn
from .sampling import reachable_states

Trace = Callable[[dict[str, Any]], None]


@dataclass
class DataDrivenOutcome:
    invariant: z3.BoolRef | None
    houdini: HoudiniResult | None = None
    rounds: int = 0
    #: Sampling rounds used (a failed round is retried with fresh samples while time is left).
    attempts: int = 1
    proposals: int = 0
    samples: int = 0
    status: Status = Status.UNKNOWN
    notes: list[str] = field(default_factory=list)


class DataDrivenProposer:
    """Holds the samples and examples of one problem across rounds (so later rounds build on earlier ones)."""

    def __init__(
        self, problem: LoopProblem, *, seed: int = 0, timeout_ms: int = 10_000, trace: Trace | None = None
    ):
        self.problem = problem
        self.rng = random.Random(seed)
        self.timeout_ms = timeout_ms
        self.trace = trace or (lambda event: None)
        self.variables: list[Variable] = relevant_variables(problem) or list(problem.variables)
        self.constants = sorted(set(problem.constants) | {0, 1})
        self.examples = Examples()
        self.extra: list[z3.BoolRef] = []
        self.proposals = 0
        self._positive_keys: set[tuple[Value, ...]] = set()

    # --- examples ---------------------------------------------------------------------------------------
    def _key(self, state: Valuation) -> tuple[Value, ...]:
        return tuple(state[v.name] for v in self.problem.variables)

    def add_positive(self, state: Valuation, *, run: bool = True) -> None:
        states: list[Valuation] = [state]
        if run and self.problem.program is not None:
            states = run_loop(self.problem.program, state, self.rng, 200)
        for s in states:
            key = self._key(s)
            if key not in self._positive_keys:
                self._positive_keys.add(key)
                self.examples.positives.append(s)

    def sample(self, budget_s: float, *, starts: int = 24) -> None:
        for s in reachable_states(
            self.problem,
            self.rng,
            starts=starts,
            time_budget_s=budget_s,
            timeout_ms=min(self.timeout_ms, 2000),
        ):
            self.add_positive(s, run=False)

    # --- candidates -------------------------------------------------------------------------------------
    def conditions(self) -> list[z3.BoolRef]:
        """Program predicates and their negations: the ``p`` of conditional candidates ``p ∨ a``."""
        lits = program_literals(self.problem)
        out: list[z3.BoolRef] = []
        for lit in lits:
            out.append(lit)
            negated = z3.simplify(z3.Not(lit))
            assert isinstance(negated, z3.BoolRef)
            out.append(negated)
        return out

    def atoms(self) -> list[Atom]:
        """Atoms for the learner: those true on all positives, the program's predicates, and atoms true on
        the positives where some program predicate fails (the pieces of disjunctive invariants)."""
        positives = self.examples.positives
        base = make_atoms(state_atoms(self.variables, positives, self.constants), "data")
        program = make_atoms(self.conditions(), "program")
        pieces: list[z3.BoolRef] = []
        for condition in program:
            subset = [s for s in positives if condition.holds(s) is False]
            if subset and len(subset) < len(positives):
                pieces.extend(state_atoms(self.variables, subset, self.constants))
        seen = {a.term.get_id() for a in base + program}
        extra = [a for a in make_atoms(pieces, "piece") if a.term.get_id() not in seen]
        return base + program + extra

    def candidates(self) -> list[z3.BoolRef]:
        """Houdini's input: every atom and conditional atom true on all positives, plus outside proposals."""
        positives = self.examples.positives
        p = project(self.problem)
        whole = [self.problem.post, p.post]
        if self.problem.guard is not None:
            whole.append(z3.Or(self.problem.guard, self.problem.post))
        pool = make_atoms(whole, "postcondition") + self.atoms()
        pool += conditional_candidates(self.conditions(), self.variables, positives, self.constants)
        pool += make_atoms(self.extra, "proposed")
        state = {t.get_id() for t in self.problem.terms()}
        # An invariant may mention only state variables, never a nondeterministic choice or an SSA copy.
        pool = [a for a in pool if all(c.get_id() in state for c in free_constants(a.term))]
        kept = true_on(pool, positives)
        return [a.term for a in kept]

    # --- the proposer -----------------------------------------------------------------------------------
    def run(
        self,
        deadline: float,
        *,
        sample_budget_s: float = 8.0,
        max_rounds: int = 60,
        max_attempts: int = 3,
    ) -> DataDrivenOutcome:
        """Sample, Houdini, ICE; if that fails and time is left, sample afresh and try again.

        Sampling is bounded by counts (runs, steps), with ``sample_budget_s`` only as a cap, so a loaded
        machine gets the same samples, later. Examples found in one attempt stay valid in the next.
        """
        outcome = DataDrivenOutcome(invariant=None)
        for attempt in range(max_attempts):
            if attempt and deadline - time.monotonic() < 2.0:
                break
            if attempt or not self.examples.positives:
                # The generator's state moves on, so a later attempt draws other runs, and more of them.
                cap = min(sample_budget_s, max(0.1, deadline - time.monotonic()))
                self.sample(cap, starts=24 * (attempt + 1))
            outcome = self._attempt(deadline, max_rounds)
            outcome.attempts = attempt + 1
            if outcome.invariant is not None:
                return outcome
        return outcome

    def _attempt(self, deadline: float, max_rounds: int) -> DataDrivenOutcome:
        outcome = DataDrivenOutcome(invariant=None, samples=len(self.examples.positives))
        candidates = self.candidates()
        self.proposals += len(candidates)
        outcome.proposals = self.proposals
        result = houdini(self.problem, candidates, timeout_ms=self._timeout(deadline))
        outcome.houdini = result
        self.trace(
            {
                "event": "houdini",
                "candidates": len(candidates),
                "kept": len(result.kept),
                "status": result.status.value,
                "queries": result.queries,
                "seconds": round(result.seconds, 3),
            }
        )
        if result.status is not Status.VALID:
            outcome.notes.append(f"Houdini gave up: {result.reason}")
            return outcome
        return self.refine(result.invariant(), deadline, max_rounds=max_rounds, outcome=outcome)

    def refine(
        self,
        background: z3.BoolRef,
        deadline: float,
        *,
        max_rounds: int = 60,
        outcome: DataDrivenOutcome | None = None,
    ) -> DataDrivenOutcome:
        """ICE rounds on top of ``background``, an inductive invariant implied by the precondition.

        If ``background`` already proves the assertion it is the answer; otherwise its safety
        counterexample is the first negative example.
        """
        outcome = outcome or DataDrivenOutcome(invariant=None, samples=len(self.examples.positives))
        safety = check_safety(self.problem, background, self._timeout(deadline))
        if safety.valid:
            outcome.invariant, outcome.status = self._shrunk(background, deadline), Status.VALID
            return outcome
        if safety.status is Status.UNKNOWN:
            outcome.notes.append(f"safety of the Houdini invariant unknown: {safety.reason}")
            return outcome
        self.examples.negatives.append(_as_state(safety))
        for round_ in range(1, max_rounds + 1):
            if time.monotonic() > deadline:
                outcome.notes.append("time budget exhausted during refinement")
                break
            outcome.rounds = round_
            atoms = self.atoms()
            phi = learn(atoms, self.examples, timeout_ms=self._timeout(deadline))
            if phi is None:
                outcome.notes.append("no formula over the atoms separates the examples")
                break
            self.proposals += 1
            outcome.proposals = self.proposals
            candidate = z3.And(background, phi)
            results = self._check(candidate, deadline)
            self.trace(
                {
                    "event": "ice",
                    "round": round_,
                    "candidate": str(phi),
                    "checks": {r.condition: r.status.value for r in results},
                }
            )
            if all(r.valid for r in results):
                outcome.invariant, outcome.status = self._shrunk(candidate, deadline), Status.VALID
                return outcome
            if any(r.status is Status.UNKNOWN for r in results) and not any(
                r.status is Status.INVALID for r in results
            ):
                outcome.notes.append("a check was unknown during refinement")
                break
            for r in results:
                self._learn_from(r)
        return outcome

    def _shrunk(self, invariant: z3.BoolRef, deadline: float) -> z3.BoolRef:
        conjuncts = _conjuncts(invariant)
        small = shrink(self.problem, conjuncts, timeout_ms=self._timeout(deadline))
        if small is None:
            return invariant
        return z3.And(*small) if len(small) != 1 else small[0]

    def _check(self, candidate: z3.BoolRef, deadline: float) -> list[CheckResult]:
        timeout = self._timeout(deadline)
        return [
            check_initiation(self.problem, candidate, timeout),
            check_consecution(self.problem, candidate, timeout),
            check_safety(self.problem, candidate, timeout),
        ]

    def _learn_from(self, result: CheckResult) -> None:
        cex = result.counterexample
        if result.status is not Status.INVALID or cex is None:
            return
        if result.condition == "initiation":
            self.add_positive(_as_state(result))
        elif result.condition == "safety":
            self.examples.negatives.append(_as_state(result))
        else:
            assert isinstance(cex, Transition)
            before, after = cex.before.to_dict(), cex.after.to_dict()
            if self._key(before) in self._positive_keys:
                self.add_positive(after)
            else:
                self.examples.implications.append((before, after))

    def _timeout(self, deadline: float) -> int:
        remaining_ms = int((deadline - time.monotonic()) * 1000)
        return max(200, min(self.timeout_ms, remaining_ms))


def _conjuncts(term: z3.BoolRef) -> list[z3.BoolRef]:
    if z3.is_and(term):
        return [c for child in term.children() for c in _conjuncts(child)]
    return [term]


def _as_state(result: CheckResult) -> Valuation:
    cex = result.counterexample
    assert cex is not None and not isinstance(cex, Transition)
    return cex.to_dict()


def propose_data_driven(
    problem: LoopProblem,
    *,
    budget_s: float = 30.0,
    seed: int = 0,
    extra_candidates: Sequence[z3.BoolRef] = (),
    timeout_ms: int = 10_000,
) -> DataDrivenOutcome:
    """Run the data-driven proposer once on ``problem`` within ``budget_s`` seconds."""
    proposer = DataDrivenProposer(problem, seed=seed, timeout_ms=timeout_ms)
    proposer.extra.extend(extra_candidates)
    return proposer.run(time.monotonic() + budget_s)
