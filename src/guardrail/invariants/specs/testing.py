"""Testing a spec with hypothesis, for functions Z3 cannot reason about: the verdict is at best "tested, not
proven".

The parsed conditions (Z3 terms) become the JSON trees ``harness.py`` interprets; hypothesis draws each
``int`` parameter from the interval the precondition allows (found with Z3's optimizer) so that few inputs
are discarded. A live callable is tested in-process (the caller's own function); a function read from a
file is tested inside ``guardrail.sandbox``: its module is imported there, never here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import z3

from ...sandbox import Limits, run_python
from ..problems.problem import Variable
from . import harness
from .functions import SpecSignature

#: How far from zero hypothesis looks for int inputs.
INPUT_LIMIT = 1000
#: The sandboxed test run as a whole; each call of the function also gets ``CALL_SECONDS``.
SANDBOX_LIMITS = Limits(wall_s=60.0, cpu_s=40, memory_mb=1024)
CALL_SECONDS = 1.0

_HARNESS_FILE = "guardrail_spec_harness.py"
_SUBJECT_FILE = "guardrail_spec_subject.py"


class NotTestable(ValueError):
    """A condition uses an operator the harness does not interpret."""


_OPS = {
    z3.Z3_OP_ADD: "+",
    z3.Z3_OP_SUB: "-",
    z3.Z3_OP_MUL: "*",
    z3.Z3_OP_IDIV: "div",
    z3.Z3_OP_MOD: "mod",
    z3.Z3_OP_UMINUS: "neg",
    z3.Z3_OP_LE: "<=",
    z3.Z3_OP_LT: "<",
    z3.Z3_OP_GE: ">=",
    z3.Z3_OP_GT: ">",
    z3.Z3_OP_EQ: "==",
    z3.Z3_OP_IFF: "==",
    z3.Z3_OP_DISTINCT: "distinct",
    z3.Z3_OP_XOR: "xor",
    z3.Z3_OP_AND: "and",
    z3.Z3_OP_OR: "or",
    z3.Z3_OP_NOT: "not",
    z3.Z3_OP_IMPLIES: "=>",
    z3.Z3_OP_ITE: "ite",
}


def term_tree(term: z3.ExprRef) -> harness.Tree:
    """``term`` as the harness's JSON tree."""
    if z3.is_int_value(term):
        return ["int", int(term.as_long())]
    if z3.is_true(term) or z3.is_false(term):
        return ["bool", bool(z3.is_true(term))]
    if not z3.is_app(term):
        raise NotTestable(f"cannot test {term}")
    kind = term.decl().kind()
    if kind == z3.Z3_OP_UNINTERPRETED and term.num_args() == 0:
        return ["var", term.decl().name()]
    op = _OPS.get(kind)
    if op is None:
        raise NotTestable(f"cannot test the operator {term.decl().name()}")
    return [op, *(term_tree(c) for c in term.children())]


def input_ranges(
    params: tuple[Variable, ...], pre: z3.BoolRef, limit: int = INPUT_LIMIT
) -> dict[str, list[int]]:
    """For each int parameter, the smallest interval within ±``limit`` that the precondition allows."""
    box = [z3.And(p.term() >= -limit, p.term() <= limit) for p in params if p.sort == "Int"]
    ranges: dict[str, list[int]] = {}
    for p in params:
        if p.sort != "Int":
            continue
        bounds = []
        for minimize in (True, False):
            opt = z3.Optimize()
            opt.set("timeout", 1000)
            opt.add(pre, *box)
            (opt.minimize if minimize else opt.maximize)(p.term())
            bound = -limit if minimize else limit
            if opt.check() == z3.sat:
                value = opt.model().eval(p.term(), model_completion=True)
                if z3.is_int_value(value):
                    bound = int(value.as_long())
            bounds.append(bound)
        low, high = bounds
        ranges[p.name] = [low, high] if low <= high else [-limit, limit]
    return ranges


def job(
    signature: SpecSignature,
    pre: z3.BoolRef,
    post: z3.BoolRef,
    *,
    max_examples: int,
    call_seconds: float | None,
) -> dict[str, Any]:
    """What the harness needs: the parameters with their ranges, the two trees, the limits."""
    ranges = input_ranges(signature.params, pre)
    return {
        "params": [
            {
                "name": p.name,
                "sort": p.sort,
                "low": ranges.get(p.name, [0])[0],
                "high": ranges.get(p.name, [0, 0])[1],
            }
            for p in signature.params
        ],
        "result": signature.result.name,
        "pre": term_tree(pre),
        "post": term_tree(post),
        "max_examples": max_examples,
        "call_seconds": call_seconds,
    }


def run_in_process(function: Callable[..., Any], task: dict[str, Any]) -> dict[str, Any]:
    """Run the property in this process, on the caller's own function (no limit per call)."""
    return harness.run_property(function, {**task, "call_seconds": None})


def run_in_sandbox(
    module_text: str, function: str, task: dict[str, Any], limits: Limits = SANDBOX_LIMITS
) -> dict[str, Any]:
    """Import ``module_text`` inside the sandbox and run the property on its ``function``.

    Returns the harness's answer, or ``{"status": "error", "detail": ...}`` when the run did not produce
    one (the module failed to import, the run exceeded ``limits``).
    """
    import hypothesis

    # The sandbox starts Python without site-packages: the harness adds hypothesis's folder by hand.
    paths = sorted({str(Path(hypothesis.__file__).resolve().parents[1])} | _dependency_folders())
    payload = {**task, "paths": paths, "module": _SUBJECT_FILE, "function": function}
    outcome = run_python(
        f"import {_HARNESS_FILE.removesuffix('.py')}\n{_HARNESS_FILE.removesuffix('.py')}.main()\n",
        limits=limits,
        files={_HARNESS_FILE: Path(harness.__file__).read_text(encoding="utf-8"), _SUBJECT_FILE: module_text},
        stdin=json.dumps(payload),
    )
    answers = [line for line in outcome.stdout.splitlines() if line.startswith(harness.ANSWER)]
    if outcome.passed and answers:
        answer: dict[str, Any] = json.loads(answers[-1].removeprefix(harness.ANSWER))
        return answer
    return {"status": "error", "detail": outcome.detail or outcome.status, "stderr": outcome.stderr[-2000:]}


def _dependency_folders() -> set[str]:
    """Where hypothesis's own dependencies are installed (usually the same site-packages)."""
    folders: set[str] = set()
    for name in ("attr", "sortedcontainers"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        if module.__file__:
            folders.add(str(Path(module.__file__).resolve().parents[1]))
    return folders
