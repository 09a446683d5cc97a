"""Candidate atoms for the data-driven proposer.

Three families, after the data-driven invariant line of work (ICE, Garg et al. CAV 2014; data-driven CHC
solving, Zhu, Magill and Jagannathan PLDI 2018):

* octagonal bounds ``±x ≤ c`` and ``±x ± y ≤ c``, with ``c`` the tightest value seen on the samples and the
  program's constants nearby (so ``y ≤ 100000`` is found although no sample got that far);
* linear equalities ``a·x = b`` that hold on every sample, from the null space of the sample matrix
  (exact rational arithmetic on a numerically chosen basis of rows);
* the program's own predicates: the atoms of its guard, branches, pre- and postcondition.

Conditional candidates ``p ∨ a`` ("if not p then a") come from the same enumeration run on the samples where
a program predicate ``p`` is false.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd

import numpy as np
import z3

from ..problems.problem import LoopProblem, Variable, free_constants
from ..problems.projection import project
from ..problems.term_eval import Compiled, NotEvaluable, compile_term, holds
from ..problems.values import Valuation

_BOOL_CONNECTIVES = {z3.Z3_OP_AND, z3.Z3_OP_OR, z3.Z3_OP_NOT, z3.Z3_OP_IMPLIES, z3.Z3_OP_XOR}
_MAX_CONSTANT = 10**7


@dataclass(frozen=True)
class Atom:
    term: z3.BoolRef
    origin: str
    compiled: Compiled = field(compare=False, repr=False)

    @classmethod
    def of(cls, term: z3.BoolRef, origin: str) -> Atom | None:
        try:
            return cls(term, origin, compile_term(term))
        except NotEvaluable:
            return None

    def holds(self, state: Valuation) -> bool | None:
        return holds(self.compiled, state)


def literals_of(formula: z3.ExprRef) -> list[z3.BoolRef]:
    """The atomic formulas (comparisons, Boolean variables) of ``formula``."""
    found: dict[int, z3.BoolRef] = {}
    stack = [formula]
    while stack:
        t = stack.pop()
        if not isinstance(t, z3.BoolRef) or z3.is_true(t) or z3.is_false(t):
            continue
        kind = t.decl().kind() if z3.is_app(t) else None
        if (
            kind in _BOOL_CONNECTIVES
            or (kind == z3.Z3_OP_ITE)
            or (kind in (z3.Z3_OP_EQ, z3.Z3_OP_IFF) and isinstance(t.arg(0), z3.BoolRef))
        ):
            stack.extend(t.children())
            continue
        found.setdefault(t.get_id(), t)
    return list(found.values())


def _state_only(term: z3.ExprRef, state_ids: set[int]) -> bool:
    return all(c.get_id() in state_ids for c in free_constants(term))


def program_literals(problem: LoopProblem) -> list[z3.BoolRef]:
    """Predicates over the current state found in the problem's guard, transition, pre- and postcondition."""
    p = project(problem)
    ids = {t.get_id() for t in problem.terms()}
    parts = [p.post, p.pre, p.trans] + ([p.guard] if p.guard is not None else [])
    out: dict[int, z3.BoolRef] = {}
    for part in parts:
        for lit in literals_of(part):
            if _state_only(lit, ids) and free_constants(lit):
                simplified = z3.simplify(lit)
                if isinstance(simplified, z3.BoolRef) and not (
                    z3.is_true(simplified) or z3.is_false(simplified)
                ):
                    out.setdefault(simplified.get_id(), simplified)
    return list(out.values())


def relevant_variables(problem: LoopProblem) -> list[Variable]:
    """The cone of influence of the guard and the postcondition through the transition relation."""
    p = project(problem)
    by_id = {v.term().get_id(): v for v in problem.variables}
    primed_to_var = {v.primed().get_id(): v for v in problem.variables}

    def vars_of(term: z3.ExprRef) -> set[str]:
        names = set()
        for c in free_constants(term):
            if c.get_id() in by_id:
                names.add(by_id[c.get_id()].name)
            elif c.get_id() in primed_to_var:
                names.add(primed_to_var[c.get_id()].name)
        return names

    relevant = vars_of(p.post) | (vars_of(p.guard) if p.guard is not None else set())
    lits = literals_of(p.trans)
    changed = True
    while changed:
        changed = False
        for lit in lits:
            mentions_primed = any(c.get_id() in primed_to_var for c in free_constants(lit))
            names = vars_of(lit)
            primed_names = {
                primed_to_var[c.get_id()].name for c in free_constants(lit) if c.get_id() in primed_to_var
            }
            if (not mentions_primed or primed_names & relevant) and not names <= relevant:
                relevant |= names
                changed = True
    return [v for v in problem.variables if v.name in relevant]


def _constants(problem: LoopProblem) -> list[int]:
    base = {0, 1, -1}
    for c in problem.constants:
        if abs(c) <= _MAX_CONSTANT:
            base |= {c, -c, c - 1, c + 1, -c - 1, -c + 1}
    return sorted(base)


def _nearest(values: Sequence[int], pivot: int, above: bool, count: int = 2) -> list[int]:
    side = [v for v in values if (v > pivot if above else v < pivot)]
    side.sort(key=lambda v: abs(v - pivot))
    return side[:count]


def _linear(coefficients: Sequence[tuple[int, z3.ArithRef]]) -> z3.ArithRef:
    terms = [t if c == 1 else (-t if c == -1 else c * t) for c, t in coefficients if c != 0]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def bound_atoms(
    variables: Sequence[Variable], samples: Sequence[Valuation], constants: Sequence[int]
) -> list[z3.BoolRef]:
    """``e ≤ c`` and ``e ≥ c`` for ``e`` in ``x``, ``x + y``, ``x - y``.

    ``c`` is the tightest value on the samples and the program's constants just beyond it."""
    if not samples:
        return []
    ints = [v for v in variables if v.sort == "Int"]
    exprs: list[tuple[list[tuple[int, Variable]], z3.ArithRef]] = []
    for v in ints:
        exprs.append(([(1, v)], v.term()))
    for u, v in itertools.combinations(ints, 2):
        exprs.append(([(1, u), (1, v)], u.term() + v.term()))
        exprs.append(([(1, u), (-1, v)], u.term() - v.term()))
    out: list[z3.BoolRef] = []
    for coefficients, term in exprs:
        values = [sum(c * int(s[v.name]) for c, v in coefficients) for s in samples]
        lo, hi = min(values), max(values)
        if lo == hi:
            out.append(term == lo)
        uppers = [hi, *_nearest(constants, hi, above=True)]
        lowers = [lo, *_nearest(constants, lo, above=False)]
        out.extend(term <= c for c in uppers)
        out.extend(term >= c for c in lowers)
    return out


def equality_atoms(
    variables: Sequence[Variable], samples: Sequence[Valuation], max_rows: int = 64
) -> list[z3.BoolRef]:
    """Linear equalities with integer coefficients satisfied by every sample (a basis of them)."""
    ints = [v for v in variables if v.sort == "Int"]
    if len(ints) < 2 or len(samples) < 2:
        return []
    rows = np.array([[float(s[v.name]) for v in ints] + [1.0] for s in samples])
    # Choose linearly independent rows numerically, then solve exactly on those.
    _, independent = _independent_rows(rows, max_rows)
    exact = [[Fraction(int(samples[i][v.name])) for v in ints] + [Fraction(1)] for i in independent]
    basis = _nullspace(exact, len(ints) + 1)
    out: list[z3.BoolRef] = []
    for vector in basis:
        integers = _integer_vector(vector)
        if integers is None or not any(integers[:-1]):
            continue
        if max(abs(c) for c in integers) > 1000:
            continue
        lhs = _linear([(c, v.term()) for c, v in zip(integers[:-1], ints, strict=True)])
        out.append(lhs == -integers[-1])
    return out


def _independent_rows(rows: np.ndarray, max_rows: int) -> tuple[int, list[int]]:
    chosen: list[int] = []
    basis = np.zeros((0, rows.shape[1]))
    for i, row in enumerate(rows):
        candidate = np.vstack([basis, row])
        if np.linalg.matrix_rank(candidate) > basis.shape[0]:
            basis = candidate
            chosen.append(i)
            if len(chosen) >= min(max_rows, rows.shape[1]):
                break
    return len(chosen), chosen


def _nullspace(matrix: list[list[Fraction]], width: int) -> list[list[Fraction]]:
    """A basis of {v : M v = 0} by exact reduced row echelon form."""
    m = [row[:] for row in matrix]
    pivots: list[int] = []
    r = 0
    for col in range(width):
        pivot = next((i for i in range(r, len(m)) if m[i][col] != 0), None)
        if pivot is None:
            continue
        m[r], m[pivot] = m[pivot], m[r]
        lead = m[r][col]
        m[r] = [x / lead for x in m[r]]
        for i in range(len(m)):
            if i != r and m[i][col] != 0:
                factor = m[i][col]
                m[i] = [a - factor * b for a, b in zip(m[i], m[r], strict=True)]
        pivots.append(col)
        r += 1
        if r == len(m):
            break
    free = [c for c in range(width) if c not in pivots]
    basis: list[list[Fraction]] = []
    for f in free:
        vector = [Fraction(0)] * width
        vector[f] = Fraction(1)
        for row, p in enumerate(pivots):
            vector[p] = -m[row][f]
        basis.append(vector)
    return basis


def _integer_vector(vector: list[Fraction]) -> list[int] | None:
    denominators = 1
    for x in vector:
        denominators = denominators * x.denominator // gcd(denominators, x.denominator)
    ints = [int(x * denominators) for x in vector]
    g = 0
    for n in ints:
        g = gcd(g, abs(n))
    if g == 0:
        return None
    ints = [x // g for x in ints]
    first = next(x for x in ints if x != 0)
    return [-x for x in ints] if first < 0 else ints


def parity_atoms(variables: Sequence[Variable], samples: Sequence[Valuation]) -> list[z3.BoolRef]:
    out: list[z3.BoolRef] = []
    if len(samples) < 4:
        return out
    for v in variables:
        if v.sort != "Int":
            continue
        residues = {int(s[v.name]) % 2 for s in samples}
        if len(residues) == 1:
            out.append(v.term() % 2 == residues.pop())
    return out


def boolean_atoms(variables: Sequence[Variable], samples: Sequence[Valuation]) -> list[z3.BoolRef]:
    out: list[z3.BoolRef] = []
    for v in variables:
        if v.sort == "Bool":
            term = v.term()
            assert isinstance(term, z3.BoolRef)
            out.extend([term, z3.Not(term)])
    return out


def state_atoms(
    variables: Sequence[Variable], samples: Sequence[Valuation], constants: Sequence[int]
) -> list[z3.BoolRef]:
    """All unconditional atom families over ``samples`` (every atom holds on every sample, by construction
    for bounds and equalities)."""
    return [
        *bound_atoms(variables, samples, constants),
        *equality_atoms(variables, samples),
        *parity_atoms(variables, samples),
        *boolean_atoms(variables, samples),
    ]


def true_on(atoms: Iterable[Atom], samples: Sequence[Valuation]) -> list[Atom]:
    return [a for a in atoms if all(a.holds(s) is not False for s in samples)]


def make_atoms(terms: Iterable[z3.BoolRef], origin: str) -> list[Atom]:
    out: list[Atom] = []
    seen: set[int] = set()
    for t in terms:
        simplified = z3.simplify(t)
        if not isinstance(simplified, z3.BoolRef) or z3.is_true(simplified) or z3.is_false(simplified):
            continue
        if simplified.get_id() in seen:
            continue
        seen.add(simplified.get_id())
        atom = Atom.of(simplified, origin)
        if atom is not None:
            out.append(atom)
    return out


def conditional_candidates(
    conditions: Sequence[z3.BoolRef],
    variables: Sequence[Variable],
    samples: Sequence[Valuation],
    constants: Sequence[int],
    per_condition: int = 400,
) -> list[Atom]:
    """``c ∨ a`` for each condition ``c`` and each atom ``a`` found on the samples where ``c`` is false."""
    out: list[Atom] = []
    for c in conditions:
        compiled = Atom.of(c, "condition")
        if compiled is None:
            continue
        rest = [s for s in samples if compiled.holds(s) is False]
        if not rest or len(rest) == len(samples):
            continue
        consequents = state_atoms(variables, rest, constants)[:per_condition]
        out.extend(make_atoms((z3.Or(c, a) for a in consequents), "conditional"))
    return out
