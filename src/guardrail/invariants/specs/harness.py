"""The property test of a spec: hypothesis draws inputs, the function runs on them, and a small interpreter
of the spec's tree form judges the precondition and the postcondition. The spec is never ``eval``'d.

This file imports only the standard library (and hypothesis, inside the functions), so that it runs both
in-process (``run_property`` with a callable the caller trusts) and inside ``guardrail.sandbox`` as the
driver of a function read from a user's file (``main``; the sandbox starts Python without site-packages, so
the job names the folders hypothesis is installed in).

A tree is JSON: ``["int", 3]``, ``["bool", true]``, ``["var", "x"]`` or ``[op, *operands]`` with the operators
of ``_OPERATORS``; ``div`` and ``mod`` follow SMT-LIB (the remainder is never negative), as in the Z3 terms
the trees are made from.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import signal
import sys
from collections.abc import Callable, Mapping
from typing import Any

Tree = list[Any]
Env = Mapping[str, Any]
#: The driver prints its answer on one line that starts with this, after whatever the user's module printed.
ANSWER = "@@guardrail-spec-answer@@ "


class Failed(AssertionError):
    """The function broke the spec on the current input (hypothesis shrinks the input)."""


class _Timeout(BaseException):
    """One call ran longer than the job allows (a BaseException, so the function cannot catch it)."""


def _div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("division by zero is unspecified in SMT-LIB")
    return a // b if b > 0 else -(a // -b)


def _chain(test: Callable[[Any, Any], bool]) -> Callable[[list[Any]], bool]:
    return lambda values: all(test(a, b) for a, b in itertools.pairwise(values))


def _fold(step: Callable[[int, int], int]) -> Callable[[list[Any]], int]:
    def run(values: list[Any]) -> int:
        total = int(values[0])
        for v in values[1:]:
            total = step(total, int(v))
        return total

    return run


_OPERATORS: dict[str, Callable[[list[Any]], Any]] = {
    "+": _fold(lambda a, b: a + b),
    "-": _fold(lambda a, b: a - b),
    "*": _fold(lambda a, b: a * b),
    "div": lambda v: _div(int(v[0]), int(v[1])),
    "mod": lambda v: int(v[0]) - int(v[1]) * _div(int(v[0]), int(v[1])),
    "neg": lambda v: -int(v[0]),
    "<=": _chain(lambda a, b: a <= b),
    "<": _chain(lambda a, b: a < b),
    ">=": _chain(lambda a, b: a >= b),
    ">": _chain(lambda a, b: a > b),
    "==": _chain(lambda a, b: a == b),
    "distinct": lambda v: len(set(v)) == len(v),
    "xor": lambda v: bool(v[0]) != bool(v[1]),
    "not": lambda v: not v[0],
    "=>": lambda v: (not v[0]) or bool(v[1]),
}


def evaluate(tree: Tree, env: Env) -> Any:
    """The value of ``tree`` in ``env``. ``and``, ``or`` and ``ite`` evaluate only the operands they need."""
    op = tree[0]
    if op in ("int", "bool"):
        return tree[1]
    if op == "var":
        return env[tree[1]]
    if op == "and":
        return all(evaluate(t, env) for t in tree[1:])
    if op == "or":
        return any(evaluate(t, env) for t in tree[1:])
    if op == "ite":
        return evaluate(tree[2], env) if evaluate(tree[1], env) else evaluate(tree[3], env)
    return _OPERATORS[op]([evaluate(t, env) for t in tree[1:]])


def holds(tree: Tree, env: Env) -> bool:
    """Whether a condition holds; dividing by zero makes it false (the input is outside the spec's domain)."""
    try:
        return bool(evaluate(tree, env))
    except ZeroDivisionError:
        return False


def _call(function: Callable[..., Any], inputs: Env, seconds: float | None) -> Any:
    if seconds is None:
        return function(**inputs)

    def expire(signum: int, frame: object) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return function(**inputs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_property(function: Callable[..., Any], job: Mapping[str, Any]) -> dict[str, Any]:
    """Test ``function`` against the job's spec. ``job``: ``params`` ([{name, sort, low, high}]),
    ``result`` (the name of the returned value), ``pre`` and ``post`` (trees), ``max_examples`` and
    ``call_seconds`` (None: no limit per call; a limit needs the main thread).

    Returns ``{"status": "passed" | "failed" | "unsatisfiable", "tests": n}``; a failure adds ``inputs``
    (shrunk by hypothesis) and either ``returned`` or ``problem`` (what went wrong instead of returning).
    """
    from hypothesis import HealthCheck, Phase, assume, given, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable

    strategies = {
        p["name"]: st.integers(p["low"], p["high"]) if p["sort"] == "Int" else st.booleans()
        for p in job["params"]
    }
    failure: dict[str, Any] = {}
    ran = 0

    @settings(
        max_examples=int(job.get("max_examples", 200)),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.fixed_dictionaries(strategies))
    def prop(inputs: dict[str, Any]) -> None:
        nonlocal ran
        assume(holds(job["pre"], inputs))
        ran += 1
        failure.clear()
        try:
            returned = _call(function, inputs, job.get("call_seconds"))
        except _Timeout:
            failure.update(inputs=inputs, problem=f"does not return within {job['call_seconds']:g} s")
            raise Failed from None
        except Exception as exc:
            failure.update(inputs=inputs, problem=f"raises {type(exc).__name__}: {exc}")
            raise Failed from None
        if not isinstance(returned, bool | int):
            failure.update(inputs=inputs, problem=f"returns a {type(returned).__name__}, not a number")
            raise Failed
        if not holds(job["post"], {**inputs, job["result"]: returned}):
            failure.update(inputs=inputs, returned=returned)
            raise Failed

    try:
        prop()
    except Unsatisfiable:
        return {"status": "unsatisfiable", "tests": 0}
    except Failed:
        # hypothesis runs the shrunk failing input last, so ``failure`` describes it.
        return {"status": "failed", "tests": ran, **failure}
    return {"status": "passed", "tests": ran}


def main() -> None:
    """In the sandbox: read the job (one JSON line on stdin), import the module, test, print the answer."""
    job = json.loads(sys.stdin.read())
    sys.path.extend(job["paths"])
    spec = importlib.util.spec_from_file_location("guardrail_spec_subject", job["module"])
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {job['module']}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    answer = run_property(getattr(module, job["function"]), job)
    sys.stdout.write("\n" + ANSWER + json.dumps(answer) + "\n")
    sys.stdout.flush()
