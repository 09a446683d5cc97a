"""Specs for small Python functions: a model suggests a pre- and a postcondition, guardrail checks them.

The conditions are ``python_expr`` text over the parameters (and ``result`` in the postcondition), parsed into
Z3 terms like loop invariants — never evaluated by Python. Then:

* if the function is in the provable subset (int/bool parameters; assignments, ``if``/``elif``/``else`` and
  ``return`` over ints and bools), its body is executed symbolically with Python's ``ast`` and Z3 decides
  ``pre ⇒ post`` on every path: **proven**, or **refuted** with concrete inputs;
* otherwise (loops, calls, other types, or Z3 answering unknown) the function is called on inputs that
  hypothesis draws from the precondition's parameters and the postcondition is evaluated on each result:
  **tested, not proven** — or **refuted** by the failing input hypothesis shrank.

The function is the user's own code (the caller hands it over as a callable); only the conditions come
from the model.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import z3

from ...checks.base import ErrorDetail, Verdict
from ...errors import ConfigurationError
from ..problems.load_python import SubsetError, SubsetReader
from ..problems.problem import Variable
from ..problems.program import Assign
from ..problems.symbolic import SymbolicContext, to_z3
from ..problems.term_eval import NotEvaluable, compile_term
from ..problems.values import Sort, Value
from ..propose.candidates import parse_expression

SpecStatus = Literal["proven", "refuted", "tested", "rejected", "unknown"]
RESULT = "result"


@dataclass
class SpecResult:
    """What the checks concluded about a pre/postcondition pair."""

    status: SpecStatus
    message: str
    counterexample: dict[str, Value] | None = None
    tests: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def proven(self) -> bool:
        return self.status == "proven"

    def feedback(self) -> str:
        """One sentence for the model."""
        return self.message


class _Unsupported(Exception):
    """The function is outside the provable subset; the reason says which construct."""


def _signature(function: Callable[..., Any]) -> list[Variable]:
    params: list[Variable] = []
    for p in inspect.signature(function).parameters.values():
        sort: Sort
        if p.annotation in (int, "int"):
            sort = "Int"
        elif p.annotation in (bool, "bool"):
            sort = "Bool"
        else:
            raise ConfigurationError(
                f"parameter {p.name} of {function.__name__} needs an int or bool annotation to be specified"
            )
        params.append(Variable(p.name, sort))
    return params


def check_spec(
    function: Callable[..., Any],
    pre: str,
    post: str,
    *,
    timeout_ms: int = 10_000,
    max_examples: int = 200,
) -> SpecResult:
    """Prove (or test) that ``function`` satisfies ``post`` whenever its inputs satisfy ``pre``.

    ``pre`` mentions the parameters; ``post`` the parameters and ``result``. Parameters must be annotated
    ``int`` or ``bool`` (a ``ConfigurationError`` says so otherwise). The result's sort is read from the
    return annotation (int unless it says bool).
    """
    params = _signature(function)
    returns: Sort = "Bool" if inspect.signature(function).return_annotation in (bool, "bool") else "Int"
    result_var = Variable(RESULT, returns)
    if any(p.name == RESULT for p in params):
        raise ConfigurationError(f"{function.__name__} has a parameter named {RESULT!r}; rename it")
    pre_verdict = parse_expression(pre, params, linear=False)
    post_verdict = parse_expression(post, [*params, result_var], linear=False)
    rejected = [
        (name, v) for name, v in (("precondition", pre_verdict), ("postcondition", post_verdict)) if not v.ok
    ]
    if rejected:
        return SpecResult("rejected", " ".join(f"The {name}: {v.feedback()}" for name, v in rejected))
    pre_term, post_term = pre_verdict.value, post_verdict.value
    if not (isinstance(pre_term, z3.BoolRef) and isinstance(post_term, z3.BoolRef)):
        return SpecResult("rejected", "Pre- and postconditions must be conditions, not numbers.")
    if _valid(post_term, timeout_ms):
        return SpecResult("rejected", f"The postcondition {post} holds for any result: it says nothing.")

    try:
        paths = _symbolic_paths(function, params)
    except _Unsupported as exc:
        return _test(function, params, result_var, pre_term, post_term, max_examples, f"not provable: {exc}")
    return _prove(function, params, result_var, pre_term, post_term, paths, timeout_ms, max_examples)


def _valid(term: z3.BoolRef, timeout_ms: int) -> bool:
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(z3.Not(term))
    return bool(solver.check() == z3.unsat)


def _prove(
    function: Callable[..., Any],
    params: list[Variable],
    result_var: Variable,
    pre: z3.BoolRef,
    post: z3.BoolRef,
    paths: list[tuple[z3.BoolRef, z3.ExprRef]],
    timeout_ms: int,
    max_examples: int,
) -> SpecResult:
    for condition, value in paths:
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.add(pre, condition, z3.Not(z3.substitute(post, (result_var.term(), value))))
        answer = solver.check()
        if answer == z3.sat:
            model = solver.model()
            inputs = {p.name: _value(model, p.term()) for p in params}
            returned = _value(model, value)
            shown = ", ".join(f"{k} = {v}" for k, v in inputs.items())
            return SpecResult(
                "refuted",
                f"The postcondition fails for {shown}: the function returns {returned} there.",
                counterexample={**inputs, RESULT: returned},
            )
        if answer == z3.unknown:
            return _test(
                function, params, result_var, pre, post, max_examples, f"Z3: {solver.reason_unknown()}"
            )
    return SpecResult("proven", "Proven by Z3 on every path of the function.")


def _value(model: z3.ModelRef, term: z3.ExprRef) -> Value:
    value = model.eval(term, model_completion=True)
    return int(value.as_long()) if z3.is_int_value(value) else bool(z3.is_true(value))


# --- symbolic execution of the provable subset ------------------------------------------------------------


def _symbolic_paths(
    function: Callable[..., Any], params: list[Variable]
) -> list[tuple[z3.BoolRef, z3.ExprRef]]:
    """Every path through the body as (path condition, returned term)."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError) as exc:
        raise _Unsupported(f"the source of {function.__name__} is not available") from exc
    tree = ast.parse(source)
    # Report the file's line numbers, not the snippet's.
    ast.increment_lineno(tree, function.__code__.co_firstlineno - 1)
    func = next((n for n in tree.body if isinstance(n, ast.FunctionDef)), None)
    if func is None:
        raise _Unsupported("not a plain function definition")
    reader = SubsetReader()
    for p in params:
        reader.declare(p.name, p.sort, func)
    ctx = SymbolicContext(dict(reader.sorts), "spec")
    env = {p.name: p.term() for p in params}
    body = [s for s in func.body if not _is_docstring(s)]
    return _run(body, env, z3.BoolVal(True), reader, ctx)


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _run(
    stmts: list[ast.stmt],
    env: dict[str, z3.ExprRef],
    path: z3.BoolRef,
    reader: SubsetReader,
    ctx: SymbolicContext,
) -> list[tuple[z3.BoolRef, z3.ExprRef]]:
    for i, s in enumerate(stmts):
        try:
            if isinstance(s, ast.Return):
                if s.value is None:
                    raise _Unsupported(f"line {s.lineno}: a bare return gives None, not a value")
                return [(path, to_z3(reader.expr(s.value), env, ctx))]
            if isinstance(s, ast.If):
                cond = to_z3(reader.condition(s.test), env, ctx)
                rest = stmts[i + 1 :]
                return _run(list(s.body) + rest, dict(env), z3.And(path, cond), reader, ctx) + _run(
                    list(s.orelse) + rest, dict(env), z3.And(path, z3.Not(cond)), reader, ctx
                )
            if isinstance(s, ast.Pass):
                continue
            # Assignments and updates go through the loop reader, which checks the subset and types.
            produced = reader.statement(s, top=False)
        except SubsetError as exc:
            raise _Unsupported(f"line {s.lineno}: {exc}") from None
        for stmt in produced:
            if not isinstance(stmt, Assign):
                raise _Unsupported(f"line {s.lineno}: only assignments, if/else and return can be proven")
            ctx.sorts[stmt.target] = reader.sorts[stmt.target]
            env[stmt.target] = to_z3(stmt.value, env, ctx)
    raise _Unsupported("a path reaches the end of the function without return")


# --- property testing -----------------------------------------------------------------------------------


def _test(
    function: Callable[..., Any],
    params: list[Variable],
    result_var: Variable,
    pre: z3.BoolRef,
    post: z3.BoolRef,
    max_examples: int,
    why: str,
) -> SpecResult:
    try:
        pre_holds, post_holds = compile_term(pre), compile_term(post)
    except NotEvaluable as exc:
        return SpecResult("unknown", f"Could neither prove nor test the spec ({why}; {exc}).")
    try:
        # hypothesis is only needed here, for code outside the provable subset.
        from hypothesis import HealthCheck, Phase, assume, given, settings
        from hypothesis import strategies as st
        from hypothesis.errors import Unsatisfiable
    except ImportError:
        raise ConfigurationError(
            f"testing specs needs hypothesis ({why}); install it with: pip install hypothesis"
        ) from None
    failures: list[dict[str, Value]] = []
    ran = 0

    ranges = _ranges(params, pre)
    strategies = {p.name: st.integers(*ranges[p.name]) if p.sort == "Int" else st.booleans() for p in params}

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.fixed_dictionaries(strategies))
    def prop(inputs: dict[str, Value]) -> None:
        nonlocal ran
        assume(_truth(pre_holds, inputs))
        ran += 1
        returned = function(**inputs)
        if not isinstance(returned, bool | int):
            raise AssertionError(f"returned {type(returned).__name__}, not a number")
        if not _truth(post_holds, {**inputs, RESULT: returned}):
            failures[:] = [{**inputs, RESULT: returned}]
            raise AssertionError("postcondition failed")

    try:
        prop()
    except Unsatisfiable:
        return SpecResult("unknown", f"No test input satisfied the precondition ({why}).", tests=0)
    except AssertionError:
        if failures:
            failing = failures[0]
            shown = ", ".join(f"{k} = {v}" for k, v in failing.items() if k != RESULT)
            return SpecResult(
                "refuted",
                f"The postcondition fails for {shown}: the function returns {failing[RESULT]} there.",
                counterexample=failing,
                tests=ran,
            )
        raise
    return SpecResult("tested", f"Tested on {ran} inputs, not proven ({why}).", tests=ran)


def _ranges(params: list[Variable], pre: z3.BoolRef, limit: int = 1000) -> dict[str, tuple[int, int]]:
    """For each int parameter, the smallest interval within ±``limit`` that the precondition allows, so that
    hypothesis draws inputs that mostly satisfy it instead of discarding them."""
    box = [z3.And(p.term() >= -limit, p.term() <= limit) for p in params if p.sort == "Int"]
    ranges: dict[str, tuple[int, int]] = {}
    for p in params:
        if p.sort != "Int":
            continue
        bounds = []
        for minimize in (True, False):
            opt = z3.Optimize()
            opt.set("timeout", 1000)
            opt.add(pre, *box)
            (opt.minimize if minimize else opt.maximize)(p.term())
            bounds.append(
                _value(opt.model(), p.term()) if opt.check() == z3.sat else (-limit if minimize else limit)
            )
        low, high = int(bounds[0]), int(bounds[1])
        ranges[p.name] = (low, high) if low <= high else (-limit, limit)
    return ranges


def _truth(compiled: Callable[[dict[str, Value]], Value], env: dict[str, Value]) -> bool:
    try:
        return bool(compiled(env))
    except ZeroDivisionError:
        return False


def spec_verdict(result: SpecResult) -> Verdict:
    """A ``Verdict`` for the Guard: accepted only when proven (tested specs are reported, not accepted)."""
    if result.proven:
        return Verdict.accept(result)
    return Verdict.reject(
        ErrorDetail(
            check="spec", message=result.message, feedback=result.feedback(), code=f"spec.{result.status}"
        )
    )
