"""``LoopProblem``: what an invariant has to satisfy, as Z3 terms.

A problem has typed state variables ``x``, their primed copies ``x'`` (named ``x!`` as in SyGuS), a
precondition ``P(x)``, an optional loop guard ``B(x)``, a transition relation ``T(x, x')`` and a
postcondition ``Q(x)``. An invariant ``I(x)`` solves it when

* initiation:  ``P ⇒ I``
* consecution: ``I ∧ B ∧ T ⇒ I'``
* safety:      ``I ∧ ¬B ⇒ Q``

Problems read from SyGuS and SMT-LIB templates have no separate guard: their ``T`` already contains it and
their ``Q`` already says "on exit". Then ``guard`` is ``None`` and the conditions read ``I ∧ T ⇒ I'`` and
``I ⇒ Q``, which is exactly the SyGuS ``inv-constraint`` semantics.

Other free constants in ``P``, ``T``, ``B`` and ``Q`` (SSA copies, ``unknown()`` choices) are auxiliary: in
each check they are existential on the left of the implication and universal on the right, which is what
a single satisfiability query gives them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import z3

from .._deprecated import DeprecatedSpellings
from .program import LoopProgram
from .values import Sort, Value

PRIME = "!"


@dataclass(frozen=True)
class Variable:
    name: str
    sort: Sort

    def term(self) -> z3.ExprRef:
        return z3.Int(self.name) if self.sort == "Int" else z3.Bool(self.name)

    def primed(self) -> z3.ExprRef:
        return z3.Int(self.name + PRIME) if self.sort == "Int" else z3.Bool(self.name + PRIME)


@dataclass(frozen=True)
class State(DeprecatedSpellings):
    """A typed program state, e.g. a counterexample: ``x = -1, y = -1``."""

    values: tuple[tuple[str, Value], ...]

    @classmethod
    def of(cls, mapping: Mapping[str, Value], variables: Iterable[Variable]) -> State:
        return cls(tuple((v.name, mapping[v.name]) for v in variables))

    def to_dict(self) -> dict[str, Value]:
        return dict(self.values)

    def describe(self) -> str:
        return ", ".join(f"{name} = {value}" for name, value in self.values)


@dataclass(frozen=True, eq=False)
class LoopProblem:
    """One loop-invariant problem. See the module docstring for the meaning of each part."""

    name: str
    variables: tuple[Variable, ...]
    pre: z3.BoolRef
    trans: z3.BoolRef
    post: z3.BoolRef
    guard: z3.BoolRef | None = None
    source: Path | None = None
    #: Set when the problem came from a program (C or Python): lets proposers run it concretely.
    program: LoopProgram | None = None
    #: Integer literals of the source, used to seed bounds.
    constants: tuple[int, ...] = ()
    #: The problem as the model sees it: a Python-syntax program or the formulas.
    text: str = ""
    #: Source form: "c", "python", "smt2", "sygus".
    kind: str = ""
    notes: tuple[str, ...] = field(default=())

    def terms(self) -> list[z3.ExprRef]:
        return [v.term() for v in self.variables]

    def primed_terms(self) -> list[z3.ExprRef]:
        return [v.primed() for v in self.variables]

    def prime(self, formula: z3.ExprRef) -> z3.ExprRef:
        """``formula`` over the primed copies of the state variables."""
        return z3.substitute(formula, *zip(self.terms(), self.primed_terms(), strict=True))

    def variable(self, name: str) -> Variable | None:
        return next((v for v in self.variables if v.name == name), None)

    def is_linear(self) -> bool:
        """True when no part multiplies or divides two non-constant terms."""
        parts = [self.pre, self.trans, self.post] + ([self.guard] if self.guard is not None else [])
        return all(is_linear(p) for p in parts)

    def state_from_model(self, model: z3.ModelRef, primed: bool = False) -> State:
        values: list[tuple[str, Value]] = []
        for v in self.variables:
            term = v.primed() if primed else v.term()
            values.append((v.name, model_value(model, term)))
        return State(tuple(values))


def model_value(model: z3.ModelRef, term: z3.ExprRef) -> Value:
    value = model.eval(term, model_completion=True)
    if z3.is_int_value(value):
        return int(value.as_long())
    if z3.is_true(value):
        return True
    if z3.is_false(value):
        return False
    raise ValueError(f"the model gave {term} a value that is not an integer or boolean: {value}")


_NONLINEAR_KINDS = {z3.Z3_OP_MUL, z3.Z3_OP_IDIV, z3.Z3_OP_MOD, z3.Z3_OP_DIV, z3.Z3_OP_REM, z3.Z3_OP_POWER}


def is_linear(term: z3.ExprRef) -> bool:
    """No product or quotient of two non-constant terms (division and modulo by a literal are fine)."""
    seen: set[int] = set()
    stack = [term]
    while stack:
        t = stack.pop()
        if t.get_id() in seen:
            continue
        seen.add(t.get_id())
        if z3.is_app(t):
            kind = t.decl().kind()
            if kind in _NONLINEAR_KINDS:
                args = t.children()
                non_constant = [a for a in args if not _is_numeral(a)]
                if kind == z3.Z3_OP_MUL and len(non_constant) > 1:
                    return False
                if kind != z3.Z3_OP_MUL and any(not _is_numeral(a) for a in args[1:]):
                    return False
            stack.extend(t.children())
    return True


def _is_numeral(term: z3.ExprRef) -> bool:
    if z3.is_int_value(term) or z3.is_rational_value(term):
        return True
    if z3.is_app(term) and term.decl().kind() == z3.Z3_OP_UMINUS:
        return _is_numeral(term.children()[0])
    return False


def free_constants(*terms: z3.ExprRef) -> list[z3.ExprRef]:
    """The uninterpreted constants (free variables) of ``terms``, in first-seen order."""
    found: dict[int, z3.ExprRef] = {}
    seen: set[int] = set()
    stack = list(reversed(terms))
    while stack:
        t = stack.pop()
        if t.get_id() in seen:
            continue
        seen.add(t.get_id())
        if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            found.setdefault(t.get_id(), t)
        elif z3.is_app(t):
            stack.extend(reversed(t.children()))
    return list(found.values())
