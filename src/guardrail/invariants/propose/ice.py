"""An ICE learner: the smallest formula over given atoms consistent with positive, negative and implication
examples (Garg, Löding, Madhusudan and Neider, "ICE: a robust framework for learning invariants", CAV 2014).

The hypothesis space is DNF with at most ``k`` disjuncts over the atoms; the learner is a SAT query. Atom
``j`` is selected into disjunct ``d`` by a Boolean ``sel[d][j]``; disjunct ``d`` is true on an example iff no
selected atom is false there. Positives must satisfy some disjunct, negatives none, and each implication
``s → t`` must not go from true to false. Smaller formulas are tried first (cardinality bound on the
selections), which is what makes the answer generalise.

Examples are reduced before encoding: only their truth vectors over the atoms matter, a positive whose true
atoms include another positive's is implied by it (and dually for negatives), and atoms that take the same
value on every example are interchangeable, so only the first (preferred) one is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import z3

from ..problems.values import Valuation
from .atoms import Atom

Vector = tuple[bool, ...]


@dataclass
class Examples:
    positives: list[Valuation] = field(default_factory=list)
    negatives: list[Valuation] = field(default_factory=list)
    implications: list[tuple[Valuation, Valuation]] = field(default_factory=list)


class _Encoding:
    """Selection literals of a ``k``-disjunct DNF over ``width`` atoms, and its truth on an example."""

    def __init__(self, k: int, width: int):
        self.k = k
        self.width = width
        self.sel = [[z3.Bool(f"sel!{d}!{j}") for j in range(width)] for d in range(k)]
        self._disjuncts: dict[tuple[int, Vector], z3.BoolRef] = {}

    def disjunct(self, d: int, v: Vector) -> z3.BoolRef:
        """Disjunct ``d`` holds on an example with truth vector ``v`` iff it selects no atom false there."""
        key = (d, v)
        if key not in self._disjuncts:
            false_atoms = [self.sel[d][j] for j in range(self.width) if not v[j]]
            self._disjuncts[key] = z3.Not(z3.Or(false_atoms)) if false_atoms else z3.BoolVal(True)
        return self._disjuncts[key]

    def phi(self, v: Vector) -> z3.BoolRef:
        return z3.Or([self.disjunct(d, v) for d in range(self.k)])


def _vector(atoms: Sequence[Atom], state: Valuation) -> Vector:
    return tuple(a.holds(state) is True for a in atoms)


def _minimal(vectors: set[Vector]) -> list[Vector]:
    """Vectors whose set of true positions contains no other vector's."""
    ordered = sorted(vectors, key=sum)
    kept: list[Vector] = []
    for v in ordered:
        if not any(all(b <= a for a, b in zip(v, k, strict=True)) for k in kept):
            kept.append(v)
    return kept


def _maximal(vectors: set[Vector]) -> list[Vector]:
    ordered = sorted(vectors, key=sum, reverse=True)
    kept: list[Vector] = []
    for v in ordered:
        if not any(all(a <= b for a, b in zip(v, k, strict=True)) for k in kept):
            kept.append(v)
    return kept


def learn(
    atoms: Sequence[Atom],
    examples: Examples,
    *,
    max_disjuncts: int = 3,
    max_atoms: int = 8,
    timeout_ms: int = 5000,
) -> z3.BoolRef | None:
    """The smallest DNF over ``atoms`` consistent with ``examples``; None if none fits the bounds."""
    if not examples.negatives and not examples.implications:
        return None
    raw_pos = {_vector(atoms, s) for s in examples.positives}
    raw_neg = {_vector(atoms, s) for s in examples.negatives}
    if raw_pos & raw_neg:
        return None  # a positive and a negative look alike to every atom: no formula separates them
    pairs = {(_vector(atoms, s), _vector(atoms, t)) for s, t in examples.implications}
    everything = raw_pos | raw_neg | {v for p in pairs for v in p}

    # Keep one atom per distinct column; drop columns that are constant (they separate nothing).
    columns: dict[Vector, int] = {}
    order = sorted(everything)
    for j in range(len(atoms)):
        column = tuple(v[j] for v in order)
        if len(set(column)) > 1:
            columns.setdefault(column, j)
    chosen = sorted(columns.values())
    if not chosen:
        return None

    def project(v: Vector) -> Vector:
        return tuple(v[j] for j in chosen)

    positives = _minimal({project(v) for v in raw_pos})
    negatives = _maximal({project(v) for v in raw_neg})
    implications = {(project(s), project(t)) for s, t in pairs}
    width = len(chosen)

    for k in range(1, max_disjuncts + 1):
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        encoding = _Encoding(k, width)
        sel, phi = encoding.sel, encoding.phi

        for v in positives:
            solver.add(phi(v))
        for v in negatives:
            solver.add(z3.Not(phi(v)))
        for s, t in implications:
            solver.add(z3.Implies(phi(s), phi(t)))
        # Every disjunct selects something (an empty disjunct would be True).
        for d in range(k):
            solver.add(z3.Or(sel[d]))
        flat = [s for row in sel for s in row]
        for size in range(k, max_atoms + 1):
            # The bound is switched on by an assumption literal so the solver stays incremental.
            bound = z3.Bool(f"size!{size}")
            solver.add(z3.Implies(bound, z3.AtMost(*flat, size)))
            answer = solver.check(bound)
            if answer == z3.sat:
                model = solver.model()
                disjuncts = []
                for d in range(k):
                    picked = [
                        atoms[chosen[j]].term
                        for j in range(width)
                        if z3.is_true(model.eval(sel[d][j], model_completion=True))
                    ]
                    disjuncts.append(z3.And(*picked) if len(picked) > 1 else picked[0])
                return z3.Or(*disjuncts) if len(disjuncts) > 1 else disjuncts[0]
            if answer == z3.unknown:
                return None
    return None
