"""Evaluate Z3 terms on concrete states quickly: each term is compiled once into nested Python closures.

The data-driven proposer evaluates hundreds of atoms on hundreds of sampled states; going through
``z3.substitute`` and ``z3.simplify`` for each would take seconds. Semantics follow SMT-LIB (``div`` and
``mod`` leave a non-negative remainder), so the result agrees with what Z3 would say.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import z3

from .values import Valuation, Value

Compiled = Callable[[Valuation], Value]


class NotEvaluable(ValueError):
    """The term uses an operator this evaluator does not know (the caller should skip the term)."""


def compile_term(term: z3.ExprRef) -> Compiled:
    if z3.is_int_value(term):
        value = int(term.as_long())
        return lambda env: value
    if z3.is_true(term):
        return lambda env: True
    if z3.is_false(term):
        return lambda env: False
    if not z3.is_app(term):
        raise NotEvaluable(f"cannot evaluate {term}")
    kind = term.decl().kind()
    if kind == z3.Z3_OP_UNINTERPRETED and term.num_args() == 0:
        name = term.decl().name()
        return lambda env: env[name]
    args = [compile_term(c) for c in term.children()]
    op = _OPERATORS.get(kind)
    if op is None:
        raise NotEvaluable(f"cannot evaluate the operator {term.decl().name()}")
    return op(args)


def _fold(fn: Callable[[int, int], int]) -> Callable[[list[Compiled]], Compiled]:
    def make(args: list[Compiled]) -> Compiled:
        first, rest = args[0], args[1:]

        def run(env: Valuation) -> Value:
            acc = int(first(env))
            for a in rest:
                acc = fn(acc, int(a(env)))
            return acc

        return run

    return make


def _binary(fn: Callable[[Value, Value], Value]) -> Callable[[list[Compiled]], Compiled]:
    def make(args: list[Compiled]) -> Compiled:
        a, b = args
        return lambda env: fn(a(env), b(env))

    return make


def _chain(fn: Callable[[int, int], bool]) -> Callable[[list[Compiled]], Compiled]:
    def make(args: list[Compiled]) -> Compiled:
        def run(env: Valuation) -> Value:
            values = [int(a(env)) for a in args]
            return all(fn(x, y) for x, y in itertools.pairwise(values))

        return run

    return make


def smt_div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("division by zero is unspecified in SMT-LIB")
    return a // b if b > 0 else -(a // -b)


def smt_mod(a: int, b: int) -> int:
    return a - b * smt_div(a, b)


def _and(args: list[Compiled]) -> Compiled:
    return lambda env: all(a(env) for a in args)


def _or(args: list[Compiled]) -> Compiled:
    return lambda env: any(a(env) for a in args)


def _not(args: list[Compiled]) -> Compiled:
    (a,) = args
    return lambda env: not a(env)


def _implies(args: list[Compiled]) -> Compiled:
    a, b = args
    return lambda env: (not a(env)) or bool(b(env))


def _ite(args: list[Compiled]) -> Compiled:
    c, t, e = args
    return lambda env: t(env) if c(env) else e(env)


def _uminus(args: list[Compiled]) -> Compiled:
    (a,) = args
    return lambda env: -int(a(env))


def _distinct(args: list[Compiled]) -> Compiled:
    def run(env: Valuation) -> Value:
        values = [a(env) for a in args]
        return len(set(values)) == len(values)

    return run


def _eq(args: list[Compiled]) -> Compiled:
    def run(env: Valuation) -> Value:
        first = args[0](env)
        return all(a(env) == first for a in args[1:])

    return run


_OPERATORS: dict[int, Callable[[list[Compiled]], Compiled]] = {
    z3.Z3_OP_ADD: _fold(lambda x, y: x + y),
    z3.Z3_OP_SUB: _fold(lambda x, y: x - y),
    z3.Z3_OP_MUL: _fold(lambda x, y: x * y),
    z3.Z3_OP_IDIV: _binary(lambda x, y: smt_div(int(x), int(y))),
    z3.Z3_OP_MOD: _binary(lambda x, y: smt_mod(int(x), int(y))),
    z3.Z3_OP_UMINUS: _uminus,
    z3.Z3_OP_LE: _chain(lambda x, y: x <= y),
    z3.Z3_OP_LT: _chain(lambda x, y: x < y),
    z3.Z3_OP_GE: _chain(lambda x, y: x >= y),
    z3.Z3_OP_GT: _chain(lambda x, y: x > y),
    z3.Z3_OP_EQ: _eq,
    z3.Z3_OP_IFF: _eq,
    z3.Z3_OP_DISTINCT: _distinct,
    z3.Z3_OP_XOR: _binary(lambda x, y: bool(x) != bool(y)),
    z3.Z3_OP_AND: _and,
    z3.Z3_OP_OR: _or,
    z3.Z3_OP_NOT: _not,
    z3.Z3_OP_IMPLIES: _implies,
    z3.Z3_OP_ITE: _ite,
}


def holds(compiled: Compiled, env: Valuation) -> bool | None:
    """The truth of a compiled formula in ``env``; None where it cannot be evaluated (division by zero)."""
    try:
        return bool(compiled(env))
    except (ZeroDivisionError, KeyError):
        return None
