"""Symbolic execution of a ``LoopProgram`` into a ``LoopProblem`` (Z3 terms).

Branches merge with ``If`` terms, so a loop body of any nesting becomes one transition formula without path
explosion. ``unknown()`` and uninitialised declarations become fresh constants (auxiliary variables of the
problem, see ``problem.py`` for how the checks quantify them).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import z3

from ...errors import DataFileError
from .problem import LoopProblem, Variable
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
    render_program,
)
from .values import Sort

#: Variable names to the Z3 terms that hold their current values.
SymbolicEnv = dict[str, z3.ExprRef]


@dataclass
class SymbolicContext:
    """Fresh-name supply and the side conditions collected while executing."""

    sorts: dict[str, Sort]
    #: Keeps the fresh names of the parts (before, loop, after) apart, since a query can mention all three.
    section: str
    counter: itertools.count[int] = field(default_factory=itertools.count)
    assumptions: list[z3.BoolRef] = field(default_factory=list)
    obligations: list[z3.BoolRef] = field(default_factory=list)

    def fresh(self, stem: str, sort: Sort) -> z3.ExprRef:
        # "!" cannot occur in C or Python names, so fresh names never clash with program variables.
        name = f"{stem}!{self.section}{next(self.counter)}"
        return z3.Int(name) if sort == "Int" else z3.Bool(name)


def to_z3(expr: Expr, env: SymbolicEnv, ctx: SymbolicContext) -> z3.ExprRef:
    match expr:
        case Const(value=v):
            return z3.BoolVal(v) if isinstance(v, bool) else z3.IntVal(v)
        case Var(name=n):
            return env[n]
        case Unknown(sort=s):
            return ctx.fresh("unknown", s)
        case Neg(operand=o):
            return -_int(to_z3(o, env, ctx))
        case Not(operand=o):
            return z3.Not(_bool(to_z3(o, env, ctx)))
        case Arith(op=op, left=a, right=b):
            x, y = _int(to_z3(a, env, ctx)), _int(to_z3(b, env, ctx))
            return arith_term(op, x, y)
        case Compare(op=op, left=a, right=b):
            return compare_term(op, to_z3(a, env, ctx), to_z3(b, env, ctx))
        case Logic(op=op, left=a, right=b):
            x, y = _bool(to_z3(a, env, ctx)), _bool(to_z3(b, env, ctx))
            return z3.And(x, y) if op == "and" else z3.Or(x, y)
        case Ite(cond=c, then=t, orelse=e):
            return z3.If(_bool(to_z3(c, env, ctx)), to_z3(t, env, ctx), to_z3(e, env, ctx))
    raise TypeError(f"not an expression: {expr!r}")


def arith_term(op: str, x: z3.ArithRef, y: z3.ArithRef) -> z3.ArithRef:
    """Z3 integer arithmetic with Python's (floor) or C's (truncating) division."""
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op in ("//", "%"):
        # SMT-LIB div rounds so that the remainder is non-negative; Python floors. They agree for y > 0,
        # and floor(x / y) = floor(-x / -y) turns a negative divisor into a positive one.
        literal = z3.simplify(y)
        if z3.is_int_value(literal):
            q = x / y if literal.as_long() > 0 else (-x) / (-y)
        else:
            q = z3.If(y > 0, x / y, (-x) / (-y))
        return q if op == "//" else x - y * q
    if op in ("c/", "c%"):
        magnitude = z3.Abs(x) / z3.Abs(y)
        q = z3.If((x >= 0) == (y >= 0), magnitude, -magnitude)
        return q if op == "c/" else x - y * q
    raise ValueError(f"unknown arithmetic operator {op!r}")


def compare_term(op: str, x: z3.ExprRef, y: z3.ExprRef) -> z3.BoolRef:
    if op == "==":
        return x == y
    if op == "!=":
        return x != y
    a, b = _int(x), _int(y)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    raise ValueError(f"unknown comparison {op!r}")


def _int(term: z3.ExprRef) -> z3.ArithRef:
    assert isinstance(term, z3.ArithRef), f"expected an integer term, got {term}"
    return term


def _bool(term: z3.ExprRef) -> z3.BoolRef:
    assert isinstance(term, z3.BoolRef), f"expected a boolean term, got {term}"
    return term


def execute(stmts: Sequence[Stmt], env: SymbolicEnv, path: z3.BoolRef, ctx: SymbolicContext) -> SymbolicEnv:
    """The environment after ``stmts``; assumptions and assertions are recorded under their path condition."""
    env = dict(env)
    for s in stmts:
        match s:
            case Assign(target=t, value=e):
                env[t] = to_z3(e, env, ctx)
            case Havoc(target=t):
                env[t] = ctx.fresh(t, ctx.sorts[t])
            case If(cond=c, then=then, orelse=orelse):
                cond = _bool(to_z3(c, env, ctx))
                then_env = execute(then, env, z3.And(path, cond), ctx)
                else_env = execute(orelse, env, z3.And(path, z3.Not(cond)), ctx)
                env = {
                    name: then_env[name]
                    if then_env[name].eq(else_env[name])
                    else z3.If(cond, then_env[name], else_env[name])
                    for name in env
                }
            case Assume(cond=c):
                ctx.assumptions.append(z3.Implies(path, _bool(to_z3(c, env, ctx))))
            case Assert(cond=c):
                # An assertion only has to hold in runs that satisfied the assumptions made so far.
                premise = z3.And(path, *ctx.assumptions)
                ctx.obligations.append(z3.Implies(premise, _bool(to_z3(c, env, ctx))))
    return env


def problem_from_program(
    program: LoopProgram, *, name: str, kind: str, source: Path | None = None, text: str | None = None
) -> LoopProblem:
    """Build the problem of ``program``: P from the statements before the loop, T from its body, Q after."""
    variables = tuple(Variable(d.name, d.sort) for d in program.variables)
    sorts = program.sorts()
    where = f"{source}" if source is not None else name

    ctx = SymbolicContext(sorts, "pre")
    initial = {v.name: ctx.fresh(v.name + "_init", v.sort) for v in variables}
    after_before = execute(program.before, initial, z3.BoolVal(True), ctx)
    if ctx.obligations:
        line = _first_assert_line(program.before)
        raise DataFileError(
            f"{where}{_at(line)}: assertions before the loop are not supported; move them after the loop",
            path=source,
            line=line,
        )
    pre = z3.And(*ctx.assumptions, *[v.term() == after_before[v.name] for v in variables])

    ctx = SymbolicContext(sorts, "loop")
    current = {v.name: v.term() for v in variables}
    guard = _bool(to_z3(program.loop.cond, current, ctx))
    body_env = execute(program.loop.body, current, z3.BoolVal(True), ctx)
    if ctx.obligations:
        line = _first_assert_line(program.loop.body)
        raise DataFileError(
            f"{where}{_at(line)}: assertions inside the loop body are not supported; assert after the loop",
            path=source,
            line=line,
        )
    trans = z3.And(*ctx.assumptions, *[v.primed() == body_env[v.name] for v in variables])

    ctx = SymbolicContext(sorts, "post")
    execute(program.after, current, z3.BoolVal(True), ctx)
    if not ctx.obligations:
        raise DataFileError(
            f"{where}: the program has no assert after the loop, so there is nothing to prove", path=source
        )
    post = z3.And(*ctx.obligations)

    return LoopProblem(
        name=name,
        variables=variables,
        pre=_simplify(pre),
        trans=_simplify(trans),
        post=_simplify(post),
        guard=_simplify(guard),
        source=source,
        program=program,
        constants=program.constants,
        text=text if text is not None else render_program(program),
        kind=kind,
    )


def _first_assert_line(stmts: Sequence[Stmt]) -> int | None:
    for s in stmts:
        match s:
            case Assert(line=line):
                return line
            case If(then=then, orelse=orelse):
                found = _first_assert_line(then) or _first_assert_line(orelse)
                if found is not None:
                    return found
    return None


def _at(line: int | None) -> str:
    return f":{line}" if line is not None else ""


def _simplify(term: z3.BoolRef) -> z3.BoolRef:
    simplified = z3.simplify(term)
    assert isinstance(simplified, z3.BoolRef)
    return simplified
