"""Houdini: the largest inductive subset of a set of candidate conjuncts.

Start from all candidates; drop those some initial state violates; then, while some step from a state
satisfying all remaining candidates breaks one of them, drop every candidate broken by that step. The
fixpoint is the unique largest subset whose conjunction holds initially and is inductive (Flanagan and
Leino, FME 2001). Each Z3 model usually removes many candidates at once.

Consecution runs on one incremental solver: candidate ``i`` is guarded by an indicator literal ``a_i`` and
the live set is passed as assumptions, so dropping a candidate costs no new assertions.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import z3

from ..problems.problem import LoopProblem
from .vcs import Status


@dataclass(frozen=True)
class HoudiniResult:
    """``kept`` is inductive and implied by the precondition when ``status`` is VALID.

    On UNKNOWN (a query timed out) ``kept`` is only the set still alive when Z3 gave up: not certified.
    """

    kept: tuple[z3.BoolRef, ...]
    dropped_initially: tuple[z3.BoolRef, ...]
    dropped_inductive: tuple[z3.BoolRef, ...]
    status: Status
    queries: int
    seconds: float
    reason: str = ""

    def invariant(self) -> z3.BoolRef:
        return z3.And(*self.kept) if self.kept else z3.BoolVal(True)


def unique(candidates: Sequence[z3.BoolRef]) -> list[z3.BoolRef]:
    """Structurally distinct candidates, first occurrence first (Z3 terms are hash-consed: ids compare)."""
    seen: set[int] = set()
    out: list[z3.BoolRef] = []
    for c in candidates:
        if c.get_id() not in seen:
            seen.add(c.get_id())
            out.append(c)
    return out


def houdini(
    problem: LoopProblem,
    candidates: Sequence[z3.BoolRef],
    *,
    timeout_ms: int = 10_000,
    background: Sequence[z3.BoolRef] = (),
) -> HoudiniResult:
    """The largest inductive subset of ``candidates``.

    ``background`` are facts already known to be inductive invariants; they are assumed in the pre-state
    of each step (which keeps the result sound: their conjunction with ``kept`` is inductive).
    """
    started = time.perf_counter()
    pool = unique(candidates)
    queries = 0

    # 1. Initiation, batched: each model of P ∧ ¬(c1 ∧ ... ∧ cn) removes every candidate it falsifies.
    alive = list(range(len(pool)))
    dropped_init: list[int] = []
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(problem.pre)
    while alive:
        solver.push()
        solver.add(z3.Or([z3.Not(pool[i]) for i in alive]))
        answer = solver.check()
        queries += 1
        if answer == z3.unsat:
            solver.pop()
            break
        if answer == z3.unknown:
            return _result(
                pool, alive, dropped_init, [], Status.UNKNOWN, queries, started, solver.reason_unknown()
            )
        model = solver.model()
        solver.pop()
        falsified = [i for i in alive if z3.is_false(model.eval(pool[i], model_completion=True))]
        assert falsified, "a model of P ∧ ¬(conjunction) falsifies some conjunct"
        dropped_init.extend(falsified)
        alive = [i for i in alive if i not in set(falsified)]

    # 2. Consecution on one incremental solver with indicator literals.
    dropped_step: list[int] = []
    if alive:
        indicators = [z3.Bool(f"houdini!{i}") for i in range(len(pool))]
        primed = [problem.prime(c) for c in pool]
        step = z3.Solver()
        step.set("timeout", timeout_ms)
        step.add(*background)
        if problem.guard is not None:
            step.add(problem.guard)
        step.add(problem.trans)
        for i in alive:
            step.add(z3.Implies(indicators[i], pool[i]))
        step.add(z3.Or([z3.And(indicators[i], z3.Not(primed[i])) for i in alive]))
        initially_alive = set(alive)
        while alive:
            live = set(alive)
            assumptions = [indicators[i] if i in live else z3.Not(indicators[i]) for i in initially_alive]
            answer = step.check(*assumptions)
            queries += 1
            if answer == z3.unsat:
                break
            if answer == z3.unknown:
                return _result(
                    pool,
                    alive,
                    dropped_init,
                    dropped_step,
                    Status.UNKNOWN,
                    queries,
                    started,
                    step.reason_unknown(),
                )
            model = step.model()
            broken = [i for i in alive if z3.is_false(model.eval(primed[i], model_completion=True))]
            assert broken, "a counterexample step breaks some live candidate"
            dropped_step.extend(broken)
            alive = [i for i in alive if i not in set(broken)]
    return _result(pool, alive, dropped_init, dropped_step, Status.VALID, queries, started)


def _result(
    pool: list[z3.BoolRef],
    alive: list[int],
    dropped_init: list[int],
    dropped_step: list[int],
    status: Status,
    queries: int,
    started: float,
    reason: str = "",
) -> HoudiniResult:
    return HoudiniResult(
        kept=tuple(pool[i] for i in alive),
        dropped_initially=tuple(pool[i] for i in dropped_init),
        dropped_inductive=tuple(pool[i] for i in dropped_step),
        status=status,
        queries=queries,
        seconds=time.perf_counter() - started,
        reason=reason,
    )


def shrink(
    problem: LoopProblem, conjuncts: Sequence[z3.BoolRef], *, timeout_ms: int = 10_000
) -> list[z3.BoolRef] | None:
    """A small subset of a proven invariant's conjuncts that is still a proven invariant.

    Start from an unsat core of the safety check, then close the set under "needed to preserve": for
    each kept conjunct ``c``, the core of ``I ∧ B ∧ T ⇒ c'`` over the conjuncts of ``I`` joins the set. The
    fixpoint ``S`` satisfies ``∧S ∧ B ∧ T ⇒ c'`` for every ``c`` in ``S``, so it is inductive; it contains
    the safety core and is implied by the precondition because ``I`` is. Returns None if a query is not
    unsat (the input was not a proven invariant, or Z3 timed out): the caller then keeps the full invariant.
    """
    pool = unique(conjuncts)
    if len(pool) <= 1:
        return list(pool)
    indicators = [z3.Bool(f"shrink!{i}") for i in range(len(pool))]

    def core(solver: z3.Solver) -> set[int] | None:
        if solver.check(*indicators) != z3.unsat:
            return None
        ids = {c.get_id() for c in solver.unsat_core()}
        return {i for i, ind in enumerate(indicators) if ind.get_id() in ids}

    safety = z3.Solver()
    safety.set("timeout", timeout_ms)
    safety.add(*[z3.Implies(indicators[i], c) for i, c in enumerate(pool)])
    if problem.guard is not None:
        safety.add(z3.Not(problem.guard))
    safety.add(z3.Not(problem.post))
    needed = core(safety)
    if needed is None:
        return None

    step = z3.Solver()
    step.set("timeout", timeout_ms)
    step.add(*[z3.Implies(indicators[i], c) for i, c in enumerate(pool)])
    if problem.guard is not None:
        step.add(problem.guard)
    step.add(problem.trans)
    todo = sorted(needed)
    done: set[int] = set()
    while todo:
        i = todo.pop()
        if i in done:
            continue
        done.add(i)
        step.push()
        step.add(z3.Not(problem.prime(pool[i])))
        preserved_by = core(step)
        step.pop()
        if preserved_by is None:
            return None
        for j in preserved_by - done:
            todo.append(j)
    return drop_implied([pool[i] for i in sorted(done)], timeout_ms=timeout_ms)


def drop_implied(conjuncts: Sequence[z3.BoolRef], *, timeout_ms: int = 10_000) -> list[z3.BoolRef]:
    """Remove conjuncts implied by the others (the conjunction stays logically the same).

    Larger conjuncts are tried first, so ``x - y == 1`` stays and ``x - y <= 1`` goes.
    """
    kept = list(conjuncts)
    for c in sorted(conjuncts, key=lambda t: (-_size(t), str(t))):
        rest = [k for k in kept if k.get_id() != c.get_id()]
        if not rest:
            break
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.add(*rest, z3.Not(c))
        if solver.check() == z3.unsat:
            kept = rest
    return kept


def _size(term: z3.ExprRef) -> int:
    return 1 + sum(_size(c) for c in term.children()) if z3.is_app(term) else 1
