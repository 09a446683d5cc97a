"""Z3 terms in Python syntax: how invariants, counterexamples and SMT-only problems are shown.

The output for state formulas parses back with ``candidates.parse_candidate`` (a round trip the tests check).
Primed variables ``x!`` are shown as ``x'`` (display only: a transition relation is not a candidate).
"""

from __future__ import annotations

import z3

from .problem import PRIME

_PREC_OR, _PREC_AND, _PREC_NOT, _PREC_CMP, _PREC_ADD, _PREC_MUL, _PREC_NEG, _PREC_ATOM = range(1, 9)

_COMPARISONS = {
    z3.Z3_OP_LE: "<=",
    z3.Z3_OP_LT: "<",
    z3.Z3_OP_GE: ">=",
    z3.Z3_OP_GT: ">",
    z3.Z3_OP_EQ: "==",
    z3.Z3_OP_DISTINCT: "!=",
}
_NEGATED = {"<=": ">", "<": ">=", ">=": "<", ">": "<=", "==": "!=", "!=": "=="}


def to_python(term: z3.ExprRef) -> str:
    """``term`` as a Python expression (``and``/``or``/``not``, ``//`` and ``%``, unchained comparisons)."""
    return _render(term, 0)


def _wrap(text: str, own: int, parent: int) -> str:
    return f"({text})" if own <= parent and parent > 0 and own < _PREC_ATOM else text


def _render(t: z3.ExprRef, parent: int) -> str:
    if z3.is_int_value(t):
        value = t.as_long()
        return _wrap(str(value), _PREC_NEG, parent) if value < 0 else str(value)
    if z3.is_true(t):
        return "True"
    if z3.is_false(t):
        return "False"
    if not z3.is_app(t):
        raise ValueError(f"cannot show {t} in Python syntax (quantifiers and variables are not supported)")
    decl = t.decl()
    kind = decl.kind()
    args = t.children()
    if kind == z3.Z3_OP_UNINTERPRETED and not args:
        name = decl.name()
        return str(name[: -len(PRIME)] + "'" if name.endswith(PRIME) else name)
    if kind in _COMPARISONS and len(args) == 2:
        return _comparison(_COMPARISONS[kind], args[0], args[1], parent)
    if kind == z3.Z3_OP_DISTINCT:
        pairs = [
            f"{_render(a, _PREC_CMP)} != {_render(b, _PREC_CMP)}"
            for i, a in enumerate(args)
            for b in args[i + 1 :]
        ]
        return _wrap(" and ".join(pairs), _PREC_AND, parent)
    if kind == z3.Z3_OP_NOT:
        inner = args[0]
        if z3.is_app(inner) and inner.decl().kind() in _COMPARISONS and inner.num_args() == 2:
            a, b = inner.children()
            return _comparison(_NEGATED[_COMPARISONS[inner.decl().kind()]], a, b, parent)
        return _wrap(f"not {_render(inner, _PREC_NOT)}", _PREC_NOT, parent)
    if kind in (z3.Z3_OP_AND, z3.Z3_OP_OR):
        if not args:
            return "True" if kind == z3.Z3_OP_AND else "False"
        own = _PREC_AND if kind == z3.Z3_OP_AND else _PREC_OR
        word = " and " if kind == z3.Z3_OP_AND else " or "
        return _wrap(word.join(_render(a, own) for a in args), own, parent)
    if kind == z3.Z3_OP_IMPLIES:
        a, b = args
        return _wrap(f"not {_render(a, _PREC_NOT)} or {_render(b, _PREC_OR)}", _PREC_OR, parent)
    if kind == z3.Z3_OP_IFF or (kind == z3.Z3_OP_EQ and len(args) == 2):
        return _wrap(f"{_render(args[0], _PREC_CMP)} == {_render(args[1], _PREC_CMP)}", _PREC_CMP, parent)
    if kind == z3.Z3_OP_XOR:
        return _wrap(f"{_render(args[0], _PREC_CMP)} != {_render(args[1], _PREC_CMP)}", _PREC_CMP, parent)
    if kind == z3.Z3_OP_ITE:
        c, a, b = args
        named = _abs_min_max(c, a, b)
        if named is not None:
            return named
        return f"({_render(a, _PREC_OR)} if {_render(c, _PREC_OR)} else {_render(b, _PREC_OR)})"
    if kind == z3.Z3_OP_ADD:
        parts = [_render(args[0], _PREC_ADD)]
        for a in args[1:]:
            negative = _negated_operand(a)
            if negative is not None:
                parts.append(f"- {_render(negative, _PREC_ADD + 1)}")
            else:
                parts.append(f"+ {_render(a, _PREC_ADD)}")
        return _wrap(" ".join(parts), _PREC_ADD, parent)
    if kind == z3.Z3_OP_SUB:
        text = _render(args[0], _PREC_ADD) + "".join(f" - {_render(a, _PREC_ADD + 1)}" for a in args[1:])
        return _wrap(text, _PREC_ADD, parent)
    if kind == z3.Z3_OP_UMINUS:
        return _wrap(f"-{_render(args[0], _PREC_NEG)}", _PREC_NEG, parent)
    if kind == z3.Z3_OP_MUL:
        return _wrap(" * ".join(_render(a, _PREC_MUL) for a in args), _PREC_MUL, parent)
    if kind in (z3.Z3_OP_IDIV, z3.Z3_OP_MOD):
        op = "//" if kind == z3.Z3_OP_IDIV else "%"
        return _wrap(
            f"{_render(args[0], _PREC_MUL)} {op} {_render(args[1], _PREC_MUL + 1)}", _PREC_MUL, parent
        )
    raise ValueError(f"cannot show {decl.name()} in Python syntax")


def _abs_min_max(c: z3.ExprRef, a: z3.ExprRef, b: z3.ExprRef) -> str | None:
    """``abs``, ``min`` and ``max`` as the candidate parser builds them, shown as the calls they came from."""
    if not (z3.is_app(c) and c.num_args() == 2):
        return None
    kind = c.decl().kind()
    left, right = c.children()
    is_abs = kind == z3.Z3_OP_GE and left.eq(a) and z3.is_int_value(right) and right.as_long() == 0
    if is_abs and z3.simplify(b).eq(z3.simplify(-a)):
        return f"abs({_render(a, 0)})"
    if left.eq(a) and right.eq(b) and kind in (z3.Z3_OP_LT, z3.Z3_OP_GT):
        name = "min" if kind == z3.Z3_OP_LT else "max"
        return f"{name}({_render(a, 0)}, {_render(b, 0)})"
    return None


_FLIPPED = {"<=": ">=", "<": ">", ">=": "<=", ">": "<", "==": "==", "!=": "!="}


def _comparison(op: str, a: z3.ExprRef, b: z3.ExprRef, parent: int) -> str:
    # People write "x >= 0", Z3 writes "0 <= x": put a lone number on the right.
    if z3.is_int_value(a) and not z3.is_int_value(b):
        a, b, op = b, a, _FLIPPED[op]
    return _wrap(f"{_render(a, _PREC_CMP)} {op} {_render(b, _PREC_CMP)}", _PREC_CMP, parent)


def _negated_operand(t: z3.ExprRef) -> z3.ExprRef | None:
    """For ``-1 * e`` (how Z3 writes subtraction after simplification) return ``e``."""
    if z3.is_app(t) and t.decl().kind() == z3.Z3_OP_MUL and t.num_args() == 2:
        a, b = t.children()
        if z3.is_int_value(a) and a.as_long() == -1:
            return b
    if z3.is_int_value(t) and t.as_long() < 0:
        return z3.IntVal(-t.as_long())
    return None
