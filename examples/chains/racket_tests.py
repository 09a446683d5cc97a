"""Example 3: generate a Racket function, run its tests, retry with feedback (at most 3 attempts).

Verify it with::

    guardrail verify examples/chains/racket_tests.py:CHAIN --property terminates:3 \\
        --property final:sexpr --property "every tool result is used" --property 'final-regex:\\(define.*'

What the verifier can and cannot say here, honestly:

* the code step's check is the ``sexpr`` grammar, whose parse is *any tree* (the grammar is recursive), so
  the verifier cannot enumerate the code; the test report is known by its type only (``status`` is
  ``"pass"`` or ``"fail"``, ``output`` any string), so both branches are possible on every attempt;
* termination: proven (3 attempts, one model call each); every tool result is used: proven (the branch
  reads each report right after the tests ran);
* ``final:sexpr``: proven, because the final output *is* the code step's accepted text, and that step's
  check is the same grammar;
* ``final-regex:\\(define.*``: unknown, because the sexpr language is context-free, not regular, and is not
  the property's check, so inclusion cannot be decided;
* the chain may end with code that failed its tests three times: nothing here claims otherwise.

Run it with a model (any guardrail Model; the tests and the task are the chain's inputs)::

    from guardrail.chains import run_chain
    result = run_chain(CHAIN, model, monitor=["terminates:3"], inputs={"task": ..., "tests": ...})

What runs: no Racket is installed, so ``run_tests`` runs ``mini_racket.py`` (a small interpreter for a
subset of Racket, written in Python) inside guardrail's sandbox, with the model's code and the tests as
files. The model's code is interpreted by that evaluator, never given to Python's ``eval``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from guardrail import Prompt
from guardrail.chains import Assign, Branch, Break, Chain, Loop, ModelStep, ToolStep
from guardrail.checks import Grammar
from guardrail.sandbox import Limits, run_python

INTERPRETER = Path(__file__).with_name("mini_racket.py")

PROMPT = """Write a Racket function for this task. Reply with the code only.
Task: {{ task }}
{% if report %}Your previous attempt failed its tests:
{{ report.output }}
{% endif %}"""
# A base model keeps writing further "Task:" blocks after its answer: stop there. Retries keep these settings.
CODE_PROMPT = Prompt(PROMPT, params={"max_tokens": 400, "stop": ["\nTask:"]})


class TestReport(BaseModel):
    """What running the tests said: ``status`` decides the branch, ``output`` is shown to the model."""

    status: Literal["pass", "fail"]
    output: str


def run_tests(code: str, tests: str) -> TestReport:
    """Run the code against ``(check-equal? ...)`` tests: mini Racket interpreter, inside the sandbox."""
    result = run_python(
        INTERPRETER.read_text(encoding="utf-8"),
        files={"solution.rkt": code, "tests.rkt": tests},
        limits=Limits(wall_s=10.0, cpu_s=5),
    )
    output = (result.stdout + result.stderr).strip()[-500:] or result.detail
    return TestReport(status="pass" if result.passed else "fail", output=output)


CHAIN = Chain(
    [
        Assign("report", None),
        Loop(
            [
                ModelStep("code", CODE_PROMPT, Grammar.from_file("sexpr"), output="text"),
                ToolStep(run_tests, name="report"),
                Branch("report.status", {"pass": [Break()]}),
            ],
            max_iterations=3,
            name="attempts",
        ),
    ],
    final="code",
    inputs={"task": str, "tests": str},
    name="racket_tests",
)
