"""Concrete execution of a ``LoopProgram``: the runs the data-driven proposer learns from.

``unknown()`` and havocked variables draw from a seeded ``random.Random``; a run that violates an
``assume`` or divides by zero is ``Blocked`` (it is not a real run). Division follows the program's source
language: ``//`` and ``%`` floor like Python, ``c/`` and ``c%`` truncate like C.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from .program import (
    Arith,
    Assert,
    Assign,
    Assume,
    Compare,
    Const,
    Expr,
    Havoc,
    If,
    Ite,
    Logic,
    LoopProgram,
    Neg,
    Not,
    Stmt,
    Unknown,
    Var,
)
from .values import Sort, Valuation, Value


class Blocked(Exception):
    """This execution violates an ``assume`` or divides by zero: it is not a real run, drop it."""


def floor_div(a: int, b: int) -> int:
    if b == 0:
        raise Blocked("division by zero")
    return a // b


def c_div(a: int, b: int) -> int:
    if b == 0:
        raise Blocked("division by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def evaluate(expr: Expr, env: Valuation, rng: random.Random) -> Value:
    """Evaluate ``expr``; ``unknown()`` draws from ``rng``."""
    match expr:
        case Const(value=v):
            return v
        case Var(name=n):
            return env[n]
        case Unknown(sort=s):
            return rng.random() < 0.5 if s == "Bool" else rng.randint(-16, 16)
        case Neg(operand=o):
            return -int(evaluate(o, env, rng))
        case Not(operand=o):
            return not evaluate(o, env, rng)
        case Arith(op=op, left=a, right=b):
            x, y = int(evaluate(a, env, rng)), int(evaluate(b, env, rng))
            if op == "+":
                return x + y
            if op == "-":
                return x - y
            if op == "*":
                return x * y
            if op == "//":
                return floor_div(x, y)
            if op == "%":
                return x - y * floor_div(x, y)
            if op == "c/":
                return c_div(x, y)
            return x - y * c_div(x, y)
        case Compare(op=op, left=a, right=b):
            x, y = evaluate(a, env, rng), evaluate(b, env, rng)
            if op == "==":
                return x == y
            if op == "!=":
                return x != y
            if op == "<":
                return x < y
            if op == "<=":
                return x <= y
            if op == ">":
                return x > y
            return x >= y
        case Logic(op=op, left=a, right=b):
            if op == "and":
                return bool(evaluate(a, env, rng)) and bool(evaluate(b, env, rng))
            return bool(evaluate(a, env, rng)) or bool(evaluate(b, env, rng))
        case Ite(cond=c, then=t, orelse=e):
            return evaluate(t, env, rng) if evaluate(c, env, rng) else evaluate(e, env, rng)
    raise TypeError(f"not an expression: {expr!r}")


def execute(
    stmts: Sequence[Stmt], env: dict[str, Value], rng: random.Random, sorts: Mapping[str, Sort]
) -> None:
    """Run ``stmts`` in place on ``env``. Raises ``Blocked`` when an ``assume`` fails.

    Assertions are not judged here: sampling only collects states, the checks judge them.
    """
    for s in stmts:
        match s:
            case Assign(target=t, value=e):
                env[t] = evaluate(e, env, rng)
            case Havoc(target=t):
                env[t] = rng.random() < 0.5 if sorts[t] == "Bool" else rng.randint(-16, 16)
            case If(cond=c, then=then, orelse=orelse):
                execute(then if evaluate(c, env, rng) else orelse, env, rng, sorts)
            case Assume(cond=c):
                if not evaluate(c, env, rng):
                    raise Blocked("assume failed")
            case Assert():
                pass


def run_loop(
    program: LoopProgram,
    start: Valuation,
    rng: random.Random,
    max_steps: int,
    continue_probability: float = 0.97,
) -> list[Valuation]:
    """The states at the loop head, from ``start`` (a state satisfying the precondition) onwards.

    A nondeterministic guard (``while (unknown())``) continues with ``continue_probability`` so that runs
    have varied lengths. Blocked runs end where they were blocked.
    """
    sorts = program.sorts()
    env = dict(start)
    states: list[Valuation] = [dict(env)]
    for _ in range(max_steps):
        try:
            if isinstance(program.loop.cond, Unknown):
                go = rng.random() < continue_probability
            else:
                go = bool(evaluate(program.loop.cond, env, rng))
            if not go:
                break
            execute(program.loop.body, env, rng, sorts)
        except Blocked:
            break
        states.append(dict(env))
    return states
