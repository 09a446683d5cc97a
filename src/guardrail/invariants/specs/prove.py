"""Proving a spec with Z3: the function's body, read with ``ast``, is executed symbolically.

The provable subset is the loop language's straight-line part over ``int`` and ``bool``: assignments,
``+=``-style updates, ``if``/``elif``/``else`` and ``return``. Every path through the body becomes a path
condition and a returned term, and Z3 decides ``pre ∧ path ⇒ post[result := returned]`` for each: valid on
every path is **proven**, a model is a **refutation** with concrete inputs. Every division the body
evaluates is an obligation too: an input the precondition allows that divides by zero refutes the spec (the
function raises there), since Z3's own division by zero is an arbitrary number, not an error. Anything else
(loops, calls, other types) raises ``Unsupported`` with the construct and its line, and the caller tests.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from ..problems.load_python import SubsetError, SubsetReader
from ..problems.problem import model_value
from ..problems.program import Assign
from ..problems.symbolic import SymbolicContext, SymbolicEnv, to_z3
from ..problems.values import Value
from .functions import SpecSignature

#: A path through the function: its condition and the term it returns.
Path = tuple[z3.BoolRef, z3.ExprRef]
#: A division the function evaluates: the condition under which it is evaluated, and the divisor.
Division = tuple[z3.BoolRef, z3.ExprRef]


@dataclass
class SymbolicFunction:
    """The function as Z3 sees it: its paths and every division it evaluates on the way."""

    paths: list[Path] = field(default_factory=list)
    divisions: list[Division] = field(default_factory=list)


@dataclass(frozen=True)
class Refutation:
    """Inputs the precondition allows on which the function breaks the spec: it returns ``returned``,
    which fails the postcondition, or it does not return at all (``problem`` says why)."""

    inputs: dict[str, Value]
    returned: Value | None = None
    problem: str | None = None


class Unsupported(Exception):
    """The function is outside the provable subset; the message says which construct, and where."""


def function_node(function: Callable[..., Any]) -> ast.FunctionDef:
    """The ``ast`` of a live function, with its file's line numbers."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError) as exc:
        raise Unsupported(f"the source of {function.__name__} is not available") from exc
    tree = ast.parse(source)
    ast.increment_lineno(tree, function.__code__.co_firstlineno - 1)
    node = next((n for n in tree.body if isinstance(n, ast.FunctionDef)), None)
    if node is None:
        raise Unsupported("not a plain function definition")
    return node


def symbolic_paths(node: ast.FunctionDef, signature: SpecSignature) -> SymbolicFunction:
    """Every path through ``node``'s body as (path condition, returned term), and its divisions."""
    reader = SubsetReader()
    for p in signature.params:
        reader.declare(p.name, p.sort, node)
    ctx = SymbolicContext(dict(reader.sorts), "spec")
    env: SymbolicEnv = {p.name: p.term() for p in signature.params}
    body = [s for s in node.body if not _is_docstring(s)]
    found = SymbolicFunction()
    found.paths = _run(body, env, z3.BoolVal(True), reader, ctx, found.divisions)
    wanted = signature.result.term().sort()
    for _, value in found.paths:
        if value.sort() != wanted:
            raise Unsupported(f"a path returns a {value.sort()} where the annotation says {wanted}")
    return found


def refute(
    signature: SpecSignature,
    pre: z3.BoolRef,
    post: z3.BoolRef,
    function: SymbolicFunction,
    timeout_ms: int,
) -> Refutation | str | None:
    """A ``Refutation`` when some allowed input divides by zero or some path breaks the postcondition;
    None when Z3 proves every path; a string (Z3's reason) when a query is unknown."""
    queries: list[tuple[list[z3.BoolRef], z3.ExprRef | None]] = [
        ([pre, guard, divisor == 0], None) for guard, divisor in function.divisions
    ]
    queries += [
        ([pre, condition, z3.Not(z3.substitute(post, (signature.result.term(), value)))], value)
        for condition, value in function.paths
    ]
    for formulas, value in queries:
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.add(*formulas)
        answer = solver.check()
        if answer == z3.sat:
            model = solver.model()
            inputs = {p.name: model_value(model, p.term()) for p in signature.params}
            if value is None:
                return Refutation(inputs, problem="raises ZeroDivisionError")
            return Refutation(inputs, returned=model_value(model, value))
        if answer == z3.unknown:
            return f"Z3: {solver.reason_unknown() or 'unknown'}"
    return None


def divisions(term: z3.ExprRef, guard: z3.BoolRef) -> list[Division]:
    """The divisions Python evaluates when it evaluates ``term`` under ``guard``: the branches of a
    conditional, and the right operands of ``and``/``or``, only where Python reaches them."""
    if not z3.is_app(term):
        return []
    kind = term.decl().kind()
    children = term.children()
    if kind == z3.Z3_OP_ITE:
        cond, then, orelse = children
        assert isinstance(cond, z3.BoolRef)
        return (
            divisions(cond, guard)
            + divisions(then, z3.And(guard, cond))
            + divisions(orelse, z3.And(guard, z3.Not(cond)))
        )
    if kind in (z3.Z3_OP_AND, z3.Z3_OP_OR):
        found: list[Division] = []
        reached = guard
        for child in children:
            assert isinstance(child, z3.BoolRef)
            found += divisions(child, reached)
            reached = z3.And(reached, child if kind == z3.Z3_OP_AND else z3.Not(child))
        return found
    found = [d for child in children for d in divisions(child, guard)]
    if kind in (z3.Z3_OP_IDIV, z3.Z3_OP_MOD) and not _nonzero_literal(children[1]):
        found.append((guard, children[1]))
    return found


def _nonzero_literal(term: z3.ExprRef) -> bool:
    value = z3.simplify(term)
    return bool(z3.is_int_value(value) and value.as_long() != 0)


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _run(
    stmts: list[ast.stmt],
    env: SymbolicEnv,
    path: z3.BoolRef,
    reader: SubsetReader,
    ctx: SymbolicContext,
    found: list[Division],
) -> list[Path]:
    for i, s in enumerate(stmts):
        try:
            if isinstance(s, ast.Return):
                if s.value is None:
                    raise Unsupported(f"line {s.lineno}: a bare return gives None, not a value")
                value = to_z3(reader.expr(s.value), env, ctx)
                found += divisions(value, path)
                return [(path, value)]
            if isinstance(s, ast.If):
                cond = to_z3(reader.condition(s.test), env, ctx)
                assert isinstance(cond, z3.BoolRef)
                found += divisions(cond, path)
                rest = stmts[i + 1 :]
                return _run(list(s.body) + rest, dict(env), z3.And(path, cond), reader, ctx, found) + _run(
                    list(s.orelse) + rest, dict(env), z3.And(path, z3.Not(cond)), reader, ctx, found
                )
            if isinstance(s, ast.Pass):
                continue
            # Assignments and updates go through the loop reader, which checks the subset and the types.
            produced = reader.statement(s, top=False)
        except SubsetError as exc:
            raise Unsupported(f"line {s.lineno}: {exc}") from None
        for stmt in produced:
            if not isinstance(stmt, Assign):
                raise Unsupported(f"line {s.lineno}: only assignments, if/else and return can be proven")
            ctx.sorts[stmt.target] = reader.sorts[stmt.target]
            env[stmt.target] = to_z3(stmt.value, env, ctx)
            found += divisions(env[stmt.target], path)
    raise Unsupported("a path reaches the end of the function without return")
