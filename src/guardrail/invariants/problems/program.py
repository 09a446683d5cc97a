"""A tiny imperative language: the common form of loops read from C and from Python.

Both front ends (``load_c``, ``load_python``) produce a ``LoopProgram``: declarations, the statements before
the loop, one ``while`` loop, and the statements after it. The same tree is executed two ways — symbolically
into Z3 terms (``symbolic.py``) and concretely by ``interpreter.run_loop``, for the data-driven proposer — so
the two semantics cannot drift apart. This module holds the tree, its traversals and its rendering in the
Python subset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .values import Sort, Value

ArithOp = Literal["+", "-", "*", "//", "%", "c/", "c%"]
CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
BoolOp = Literal["and", "or"]


@dataclass(frozen=True)
class Const:
    value: Value


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Unknown:
    """A nondeterministic value (C's ``unknown()``): every choice has to be accounted for."""

    sort: Sort


@dataclass(frozen=True)
class Neg:
    operand: Expr


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class Arith:
    """Integer arithmetic. ``//`` and ``%`` round like Python (floor); ``c/`` and ``c%`` like C (toward 0)."""

    op: ArithOp
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare:
    op: CompareOp
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Logic:
    op: BoolOp
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Ite:
    cond: Expr
    then: Expr
    orelse: Expr


Expr = Const | Var | Unknown | Neg | Not | Arith | Compare | Logic | Ite


@dataclass(frozen=True)
class Assign:
    target: str
    value: Expr


@dataclass(frozen=True)
class Havoc:
    """The variable takes an arbitrary value (a declaration without initialiser inside a block)."""

    target: str


@dataclass(frozen=True)
class If:
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()


@dataclass(frozen=True)
class Assume:
    cond: Expr


@dataclass(frozen=True)
class Assert:
    cond: Expr
    line: int | None = None


Stmt = Assign | Havoc | If | Assume | Assert


@dataclass(frozen=True)
class While:
    cond: Expr
    body: tuple[Stmt, ...]


@dataclass(frozen=True)
class Declaration:
    name: str
    sort: Sort


@dataclass(frozen=True)
class LoopProgram:
    """One loop with what comes before and after it. Declared variables start with arbitrary values."""

    variables: tuple[Declaration, ...]
    before: tuple[Stmt, ...]
    loop: While
    after: tuple[Stmt, ...]
    constants: tuple[int, ...] = field(default=())

    def sorts(self) -> dict[str, Sort]:
        return {d.name: d.sort for d in self.variables}


# --- sorts and traversal ----------------------------------------------------------------------------------


def expr_sort(expr: Expr, sorts: Mapping[str, Sort]) -> Sort:
    """The sort of ``expr``; front ends check operand sorts while building, so this only reads the top."""
    match expr:
        case Const(value=v):
            return "Bool" if isinstance(v, bool) else "Int"
        case Var(name=n):
            return sorts[n]
        case Unknown(sort=s):
            return s
        case Neg() | Arith():
            return "Int"
        case Not() | Compare() | Logic():
            return "Bool"
        case Ite(then=t):
            return expr_sort(t, sorts)
    raise TypeError(f"not an expression: {expr!r}")


def expr_constants(expr: Expr) -> set[int]:
    match expr:
        case Const(value=v):
            return set() if isinstance(v, bool) else {v}
        case Var() | Unknown():
            return set()
        case Neg(operand=o) | Not(operand=o):
            return expr_constants(o)
        case Arith(left=a, right=b) | Compare(left=a, right=b) | Logic(left=a, right=b):
            return expr_constants(a) | expr_constants(b)
        case Ite(cond=c, then=t, orelse=e):
            return expr_constants(c) | expr_constants(t) | expr_constants(e)
    raise TypeError(f"not an expression: {expr!r}")


def statements_constants(stmts: Sequence[Stmt]) -> set[int]:
    found: set[int] = set()
    for s in stmts:
        match s:
            case Assign(value=e) | Assume(cond=e) | Assert(cond=e):
                found |= expr_constants(e)
            case If(cond=c, then=t, orelse=o):
                found |= expr_constants(c) | statements_constants(t) | statements_constants(o)
            case Havoc():
                pass
    return found


def program_constants(before: Sequence[Stmt], loop: While, after: Sequence[Stmt]) -> tuple[int, ...]:
    found = statements_constants(before) | expr_constants(loop.cond)
    found |= statements_constants(loop.body) | statements_constants(after)
    return tuple(sorted(found))


# --- rendering ----------------------------------------------------------------------------------------------

_PY_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "//": 6, "%": 6, "neg": 7}


def render_expr(expr: Expr, parent: int = 0) -> str:
    """Python syntax (C's truncating division shows as a call, since Python has no such operator)."""
    match expr:
        case Const(value=v):
            return str(v)
        case Var(name=n):
            return n
        case Unknown():
            return "unknown()"
        case Neg(operand=o):
            return _paren(f"-{render_expr(o, _PY_PRECEDENCE['neg'])}", _PY_PRECEDENCE["neg"], parent)
        case Not(operand=o):
            return _paren(f"not {render_expr(o, _PY_PRECEDENCE['not'])}", _PY_PRECEDENCE["not"], parent)
        case Arith(op=op, left=a, right=b) if op in ("c/", "c%"):
            name = "c_div" if op == "c/" else "c_mod"
            return f"{name}({render_expr(a)}, {render_expr(b)})"
        case Arith(op=op, left=a, right=b):
            p = _PY_PRECEDENCE[op]
            return _paren(f"{render_expr(a, p)} {op} {render_expr(b, p + 1)}", p, parent)
        case Compare(op=op, left=a, right=b):
            p = _PY_PRECEDENCE["cmp"]
            return _paren(f"{render_expr(a, p + 1)} {op} {render_expr(b, p + 1)}", p, parent)
        case Logic(op=op, left=a, right=b):
            p = _PY_PRECEDENCE[op]
            return _paren(f"{render_expr(a, p)} {op} {render_expr(b, p + 1)}", p, parent)
        case Ite(cond=c, then=t, orelse=e):
            return _paren(f"{render_expr(t, 1)} if {render_expr(c, 1)} else {render_expr(e, 1)}", 0, parent)
    raise TypeError(f"not an expression: {expr!r}")


def _paren(text: str, own: int, parent: int) -> str:
    return f"({text})" if own < parent else text


def render_statements(stmts: Sequence[Stmt], indent: int = 0) -> list[str]:
    pad = "    " * indent
    lines: list[str] = []
    for s in stmts:
        match s:
            case Assign(target=t, value=e):
                lines.append(f"{pad}{t} = {render_expr(e)}")
            case Havoc(target=t):
                lines.append(f"{pad}{t} = unknown()")
            case If(cond=c, then=then, orelse=orelse):
                lines.append(f"{pad}if {render_expr(c)}:")
                lines.extend(render_statements(then, indent + 1) or [f"{pad}    pass"])
                if orelse:
                    lines.append(f"{pad}else:")
                    lines.extend(render_statements(orelse, indent + 1))
            case Assume(cond=c):
                lines.append(f"{pad}assume({render_expr(c)})")
            case Assert(cond=c):
                lines.append(f"{pad}assert {render_expr(c)}")
    return lines


def render_program(program: LoopProgram) -> str:
    """The program in the Python subset that ``load_python`` reads (what prompts show the model)."""
    lines = [f"{d.name}: {'int' if d.sort == 'Int' else 'bool'}" for d in program.variables]
    lines.extend(render_statements(program.before))
    lines.append(f"while {render_expr(program.loop.cond)}:")
    lines.extend(render_statements(program.loop.body, 1) or ["    pass"])
    lines.extend(render_statements(program.after))
    return "\n".join(lines)
