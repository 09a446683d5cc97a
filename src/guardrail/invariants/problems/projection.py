"""Problems as formulas over the state variables only, for people, prompts and atom mining.

Templates and SyGuS files carry auxiliary constants (SSA copies such as ``x_2``). Quantifier elimination
projects them away — existentially in ``P`` and ``T`` (they are on the left of the checks), universally in
``Q`` (on the right) — leaving formulas that mention only ``x`` and ``x'``. If elimination fails or times out,
the original formula is kept; these projections are for display and guessing, never for checking.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from weakref import WeakKeyDictionary

import z3

from .problem import LoopProblem, Variable, free_constants
from .render import to_python

_QE_TIMEOUT_MS = 2000


@dataclass(frozen=True)
class Projection:
    pre: z3.BoolRef
    trans: z3.BoolRef
    post: z3.BoolRef
    guard: z3.BoolRef | None


_cache: WeakKeyDictionary[LoopProblem, Projection] = WeakKeyDictionary()


def project(problem: LoopProblem) -> Projection:
    cached = _cache.get(problem)
    if cached is not None:
        return cached
    state = {t.get_id() for t in problem.terms() + problem.primed_terms()}
    guard = _eliminate(problem.guard, state) if problem.guard is not None else None
    negated_post = _eliminate(z3.Not(problem.post), state)
    projection = Projection(
        pre=_eliminate(problem.pre, state),
        trans=_eliminate(problem.trans, state),
        post=_simplify(z3.Not(negated_post)) if negated_post is not None else problem.post,
        guard=guard,
    )
    _cache[problem] = projection
    return projection


def _eliminate(formula: z3.BoolRef, state: set[int]) -> z3.BoolRef:
    """∃aux. formula, by substituting the defining equalities of the auxiliary constants.

    Falls back to Z3's quantifier elimination for what substitution leaves, and to the formula itself.
    """
    formula = _simplify(formula)
    disjuncts = formula.children() if z3.is_or(formula) else [formula]
    out: list[z3.BoolRef] = []
    for d in disjuncts:
        literals = _flatten_and(d)
        changed = True
        while changed:
            changed = False
            for i, lit in enumerate(literals):
                definition = _definition(lit, state)
                if definition is None:
                    continue
                aux, value = definition
                rest = literals[:i] + literals[i + 1 :]
                literals = [_as_bool(z3.substitute(r, (aux, value))) for r in rest]
                changed = True
                break
        conj = _simplify(z3.And(*literals))
        if any(c.get_id() not in state for c in free_constants(conj)):
            conj = _qe(conj, state)
        out.append(conj)
    return _simplify(z3.Or(*out))


def _flatten_and(term: z3.ExprRef) -> list[z3.BoolRef]:
    if z3.is_and(term):
        return [lit for child in term.children() for lit in _flatten_and(child)]
    return [_as_bool(term)]


def _definition(lit: z3.BoolRef, state: set[int]) -> tuple[z3.ExprRef, z3.ExprRef] | None:
    """``(aux, value)`` when ``lit`` is ``aux == value`` with ``aux`` auxiliary and not inside ``value``."""
    if not z3.is_eq(lit):
        return None
    a, b = lit.children()
    for left, right in ((a, b), (b, a)):
        if _is_aux(left, state) and all(c.get_id() != left.get_id() for c in free_constants(right)):
            return left, right
    return None


def _is_aux(term: z3.ExprRef, state: set[int]) -> bool:
    return z3.is_const(term) and term.decl().kind() == z3.Z3_OP_UNINTERPRETED and term.get_id() not in state


def _qe(conj: z3.BoolRef, state: set[int]) -> z3.BoolRef:
    aux = [c for c in free_constants(conj) if c.get_id() not in state]
    try:
        goals = z3.TryFor(z3.Then("simplify", "qe", "simplify"), _QE_TIMEOUT_MS)(z3.Exists(aux, conj))
    except z3.Z3Exception:
        return conj
    result = z3.Or(*[g.as_expr() for g in goals])
    if z3.is_quantifier(result) or any(c.get_id() not in state for c in free_constants(result)):
        return conj
    return _as_bool(result)


def _as_bool(term: z3.ExprRef) -> z3.BoolRef:
    assert isinstance(term, z3.BoolRef)
    return term


def _simplify(formula: z3.BoolRef) -> z3.BoolRef:
    out = z3.simplify(formula)
    assert isinstance(out, z3.BoolRef)
    return out


def _show(formula: z3.BoolRef) -> str:
    try:
        return to_python(formula)
    except ValueError:
        return str(formula.sexpr())


def describe_formulas(problem: LoopProblem) -> str:
    """The problem as four lines of Python-syntax formulas (what a model sees for SMT and SyGuS input)."""
    p = project(problem)
    state = ", ".join(f"{v.name}: {'int' if v.sort == 'Int' else 'bool'}" for v in problem.variables)
    lines = [
        f"# state: {state}",
        f"# initially: {_show(p.pre)}",
        f"# each step (x' is x after the step): {_show(p.trans)}",
    ]
    if p.guard is not None:
        lines.append(f"# loop runs while: {_show(p.guard)}")
        lines.append(f"# after the loop: assert {_show(p.post)}")
    else:
        lines.append(f"# must always hold: {_show(p.post)}")
    return "\n".join(lines)


def formula_problem(
    *,
    name: str,
    variables: tuple[Variable, ...],
    pre: z3.BoolRef,
    trans: z3.BoolRef,
    post: z3.BoolRef,
    source: Path | None,
    constants: tuple[int, ...],
    kind: str,
) -> LoopProblem:
    """A problem given as formulas (SMT templates, SyGuS): no loop guard, described by its formulas."""
    problem = LoopProblem(
        name=name,
        variables=variables,
        pre=pre,
        trans=trans,
        post=post,
        guard=None,
        source=source,
        constants=constants,
        kind=kind,
    )
    return replace(problem, text=describe_formulas(problem))
