"""Checking a spec (a pre- and a postcondition) of a small Python function.

The conditions are ``python_expr`` text over the parameters (and ``result`` in the postcondition), parsed into
Z3 terms like loop invariants — never evaluated by Python. Then:

* if the function is in the provable subset (``prove.py``), Z3 decides ``pre ⇒ post`` on every path:
  **proven**, or **refuted** with concrete inputs;
* otherwise (loops, calls, or Z3 answering unknown) hypothesis draws inputs that satisfy the precondition,
  the function runs on them and the postcondition is judged on each result (``testing.py``): **tested, not
  proven** — or **refuted** by the failing input hypothesis shrank.

``check_spec`` takes a live callable (the caller's own code, run in-process); ``check_file_spec`` takes a
function read from a file, which runs only inside ``guardrail.sandbox``. Only the conditions come from a
model, and they are interpreted, never executed.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import z3

from ..._text import clip
from ...checks.base import ErrorDetail, Verdict
from ...errors import ConfigurationError
from ..problems.problem import Variable
from ..problems.values import Sort, Value
from ..propose.candidates import parse_expression
from . import testing
from .functions import RESULT, PythonFile, PythonFunction, SpecSignature
from .prove import Refutation, Unsupported, function_node, refute, symbolic_paths

SpecStatus = Literal["proven", "refuted", "tested", "rejected", "unknown", "unsupported"]
CHECK_NAME = "spec"


@dataclass
class SpecResult:
    """What the checks concluded about a pre/postcondition pair.

    ``counterexample`` holds the inputs of a refutation and, when the function returned, ``result``.
    """

    status: SpecStatus
    message: str
    counterexample: dict[str, Value] | None = None
    tests: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def proven(self) -> bool:
        return self.status == "proven"

    @property
    def code(self) -> str:
        return f"spec.{self.status}"

    def feedback(self) -> str:
        """One sentence for the model."""
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "counterexample": self.counterexample,
            "tests": self.tests,
            "errors": self.errors,
        }


@dataclass(frozen=True)
class Conditions:
    """A parsed spec: the texts as written and their Z3 terms."""

    pre: str
    post: str
    pre_term: z3.BoolRef = field(compare=False)
    post_term: z3.BoolRef = field(compare=False)


def parse_conditions(signature: SpecSignature, pre: str, post: str, *, timeout_ms: int = 10_000) -> Verdict:
    """``Conditions`` when both texts are meaningful conditions over the signature; otherwise a rejection
    per faulty condition, coded ``spec.parse``, ``spec.unknown_name``, ``spec.ill_typed``, ``spec.vacuous``.
    """
    params = list(signature.params)
    verdicts = {
        "precondition": parse_expression(pre, params, linear=False, check=CHECK_NAME, code_prefix="spec"),
        "postcondition": parse_expression(
            post, [*params, signature.result], linear=False, check=CHECK_NAME, code_prefix="spec"
        ),
    }
    errors = [
        replace(e, message=f"{name}: {e.message}", feedback=f"The {name}: {e.feedback}")
        for name, v in verdicts.items()
        for e in v.errors
    ]
    if errors:
        return Verdict.reject(*errors)
    pre_term, post_term = verdicts["precondition"].value, verdicts["postcondition"].value
    for name, term, text in (("precondition", pre_term, pre), ("postcondition", post_term, post)):
        if not isinstance(term, z3.BoolRef):
            return _reject("ill_typed", f"The {name} {clip(text, 80)} is a number; write a condition.")
    assert isinstance(pre_term, z3.BoolRef) and isinstance(post_term, z3.BoolRef)
    if _unsatisfiable(pre_term, timeout_ms):
        return _reject(
            "vacuous",
            f"No input satisfies the precondition {clip(pre, 80)}: every function meets such a spec.",
        )
    if _unsatisfiable(z3.Not(post_term), timeout_ms):
        return _reject(
            "vacuous", f"The postcondition {clip(post, 80)} holds for any result: it says nothing."
        )
    return Verdict.accept(Conditions(pre.strip(), post.strip(), pre_term, post_term))


def _unsatisfiable(term: z3.BoolRef, timeout_ms: int) -> bool:
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(term)
    return bool(solver.check() == z3.unsat)


def _reject(kind: str, sentence: str) -> Verdict:
    return Verdict.reject(
        ErrorDetail(check=CHECK_NAME, message=sentence, feedback=sentence, code=f"spec.{kind}")
    )


# --- the two entry points ---------------------------------------------------------------------------------


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
    return annotation (int unless it says bool). ``function`` is called in this process when it is tested.
    """
    signature = _signature(function)
    parsed = parse_conditions(signature, pre, post, timeout_ms=timeout_ms)
    if not parsed.ok:
        return SpecResult("rejected", " ".join(e.feedback for e in parsed.errors))

    def run(task: dict[str, Any]) -> dict[str, Any]:
        return testing.run_in_process(function, task)

    return decide(signature, parsed.value, lambda: function_node(function), run, timeout_ms, max_examples)


def check_file_spec(
    file: PythonFile,
    function: PythonFunction,
    conditions: Conditions,
    signature: SpecSignature,
    *,
    timeout_ms: int = 10_000,
    max_examples: int = 200,
) -> SpecResult:
    """``check_spec`` for a function read from ``file``: proven on its ``ast``, or tested in the sandbox."""

    def node() -> ast.FunctionDef:
        if not isinstance(function.node, ast.FunctionDef):
            raise Unsupported("async functions cannot be proven")
        return function.node

    def run(task: dict[str, Any]) -> dict[str, Any]:
        return testing.run_in_sandbox(
            file.text, function.name, {**task, "call_seconds": testing.CALL_SECONDS}
        )

    return decide(signature, conditions, node, run, timeout_ms, max_examples)


def decide(
    signature: SpecSignature,
    conditions: Conditions,
    node: Callable[[], ast.FunctionDef],
    run_tests: Callable[[dict[str, Any]], dict[str, Any]],
    timeout_ms: int,
    max_examples: int,
) -> SpecResult:
    """Prove where the function is in the subset; test (``run_tests``) where it is not or Z3 gives up."""
    pre, post = conditions.pre_term, conditions.post_term
    try:
        function = symbolic_paths(node(), signature)
    except Unsupported as exc:
        why = f"not provable: {exc}"
    else:
        found = refute(signature, pre, post, function, timeout_ms)
        if found is None:
            return SpecResult("proven", "Proven by Z3 on every path of the function.")
        if isinstance(found, Refutation):
            returned = {} if found.returned is None else {signature.result.name: found.returned}
            return _refuted({**found.inputs, **returned}, signature.result.name, found.problem, 0)
        why = found
    try:
        task = testing.job(signature, pre, post, max_examples=max_examples, call_seconds=None)
    except testing.NotTestable as exc:
        return SpecResult("unknown", f"Could neither prove nor test the spec ({why}; {exc}).")
    return _tested(run_tests(task), signature.result.name, why)


def _tested(answer: dict[str, Any], result: str, why: str) -> SpecResult:
    status = answer.get("status")
    tests = int(answer.get("tests", 0))
    if status == "passed":
        return SpecResult("tested", f"Tested on {tests} inputs, not proven ({why}).", tests=tests)
    if status == "failed":
        inputs = dict(answer.get("inputs", {}))
        returned = answer.get("returned")
        return _refuted(
            {**inputs, result: returned} if "returned" in answer else inputs,
            result,
            answer.get("problem"),
            tests,
        )
    if status == "unsatisfiable":
        return SpecResult("unknown", f"No test input satisfied the precondition ({why}).")
    detail = clip(str(answer.get("detail", "")), 200)
    stderr = (answer.get("stderr") or "").strip().splitlines()
    if stderr and stderr[-1].strip() not in detail:
        detail += f": {clip(stderr[-1], 200)}"
    return SpecResult("unknown", f"Could not test the function ({detail}); {why}.", errors=[detail])


def _refuted(counterexample: dict[str, Any], result: str, problem: str | None, tests: int) -> SpecResult:
    shown = ", ".join(f"{k} = {v}" for k, v in counterexample.items() if k != result)
    if problem is not None:
        message = f"For {shown} the function {clip(problem, 160)}; the spec has to exclude such inputs."
    else:
        message = f"The postcondition fails for {shown}: the function returns {counterexample[result]} there."
    return SpecResult("refuted", message, counterexample=counterexample, tests=tests)


def _signature(function: Callable[..., Any]) -> SpecSignature:
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
        if p.name == RESULT:
            raise ConfigurationError(f"{function.__name__} has a parameter named {RESULT!r}; rename it")
        params.append(Variable(p.name, sort))
    returns: Sort = "Bool" if inspect.signature(function).return_annotation in (bool, "bool") else "Int"
    return SpecSignature(tuple(params), Variable(RESULT, returns))


def spec_verdict(result: SpecResult) -> Verdict:
    """A ``Verdict`` for a Guard: accepted only when proven (tested specs are reported, not accepted)."""
    if result.proven:
        return Verdict.accept(result)
    return Verdict.reject(
        ErrorDetail(check=CHECK_NAME, message=result.message, feedback=result.feedback(), code=result.code)
    )
