"""Scorers for code: a case's check is "this code passes the case's tests in the sandbox".

``CodeAgainstTests`` (Python): the program builders put a task's own pieces around the model's code:
HumanEval's prompt and ``check``, MBPP's imports and asserts, or plain tests. ``RacketAgainstTests``: the
output must be a Racket program (``checks.racket.Racket``) that passes the case's rackunit tests in the real
``racket``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ..checks.base import Pipeline
from ..checks.code import PassesTests, extract_code
from ..checks.racket import Racket, RacketTests
from ..errors import ScoringError
from ..sandbox import Limits
from ..sandbox_racket import EVAL_MB, EVAL_SECONDS
from .case import Case
from .scorers import Scorer

__all__ = [
    "CodeAgainstTests",
    "RacketAgainstTests",
    "extract_code",
    "humaneval_program",
    "mbpp_program",
    "plain_program",
]

ProgramBuilder = Callable[[str, Case], str]


def humaneval_program(code: str, case: Case) -> str:
    """HumanEval: the prompt (signature and docstring) + the completion, then the task's tests.

    A completion that writes the whole function (``def entry_point(``) is placed after the prompt, so the
    prompt's imports still apply and the model's definition wins.
    """
    prompt, entry = str(case.variables["prompt"]), str(case.variables["entry_point"])
    tests = _tests_of(case)
    if re.search(rf"^\s*def\s+{re.escape(entry)}\s*\(", code, re.MULTILINE):
        body = prompt + "    pass\n\n" + code
    else:
        body = prompt + code
    return f"{body}\n\n{tests}\n\ncheck({entry})\n"


def mbpp_program(code: str, case: Case) -> str:
    """MBPP: the imports the tests need, the model's code, then each ``assert``."""
    expected = case.expected
    if not isinstance(expected, Mapping) or "tests" not in expected:
        raise ScoringError(
            f"case {case.id}: MBPP cases need expected={{'tests': [...], 'imports': [...]}}", case_id=case.id
        )
    imports = "\n".join(str(i) for i in expected.get("imports", ()))
    asserts = "\n".join(str(t) for t in expected["tests"])
    return f"{imports}\n{code}\n\n{asserts}\n"


def _tests_of(case: Case) -> str:
    if isinstance(case.expected, str):
        return case.expected
    if isinstance(case.expected, Mapping) and "tests" in case.expected:
        tests: Any = case.expected["tests"]
        return tests if isinstance(tests, str) else "\n".join(str(t) for t in tests)
    raise ScoringError(
        f"case {case.id}: expected answer must be test code (str) or {{'tests': ...}}", case_id=case.id
    )


def plain_program(code: str, case: Case) -> str:
    """The code followed by the case's tests (a string or a list of asserts)."""
    return f"{code}\n\n{_tests_of(case)}\n"


BUILDERS: dict[str, ProgramBuilder] = {
    "humaneval": humaneval_program,
    "mbpp": mbpp_program,
    "plain": plain_program,
}


class CodeAgainstTests(Scorer):
    """Correct when the code in the output passes the case's tests in the sandbox.

    Loops, forks, sockets and memory hogs end as a rejection with the sandbox's reason.
    """

    name = "code"

    def __init__(
        self, program: str | ProgramBuilder = "plain", *, limits: Limits | None = None, extract: bool = True
    ):
        if isinstance(program, str):
            if program not in BUILDERS:
                raise ValueError(f"unknown program builder {program!r}; choose one of {sorted(BUILDERS)}")
            self._builder_name = program
            self.build = BUILDERS[program]
        else:
            self._builder_name = getattr(program, "__name__", "custom")
            self.build = program
        self.limits = limits or Limits()
        self.extract = extract

    def check_for(self, case: Case) -> PassesTests:
        self.build("", case)  # a case without usable tests is a ScoringError now, not a failed run later
        return PassesTests(lambda code: self.build(code, case), limits=self.limits, extract=self.extract)

    def describe(self) -> str:
        lim = self.limits
        return f"code({self._builder_name},wall={lim.wall_s},cpu={lim.cpu_s},mem={lim.memory_mb})"


class RacketAgainstTests(Scorer):
    """Correct when the output is a Racket program (and nothing else, unless ``extract``) that passes the
    case's rackunit tests in the real ``racket``.

    The case's expected answer is its tests: a list of rackunit forms, one text of them, or
    ``{"tests": ...}``. ``define_only`` is the seed rule: every top-level form a ``(define ...)``.
    """

    name = "racket"

    def __init__(
        self,
        *,
        define_only: bool = False,
        extract: bool = False,
        eval_seconds: float = EVAL_SECONDS,
        eval_mb: int = EVAL_MB,
    ):
        self.define_only = define_only
        self.extract = extract
        self.eval_seconds = eval_seconds
        self.eval_mb = eval_mb
        self._syntax = Racket(define_only=define_only, extract=extract)

    def check_for(self, case: Case) -> Pipeline:
        tests = case.expected.get("tests") if isinstance(case.expected, Mapping) else case.expected
        if isinstance(tests, str):
            tests = [tests]
        if not isinstance(tests, list | tuple) or not tests or not all(isinstance(t, str) for t in tests):
            raise ScoringError(
                f"case {case.id}: a Racket case's expected answer is its tests, a list of rackunit forms",
                case_id=case.id,
            )
        run = RacketTests(list(tests), eval_seconds=self.eval_seconds, eval_mb=self.eval_mb)
        return Pipeline([self._syntax, run])

    def describe(self) -> str:
        return (
            f"racket(define_only={self.define_only},extract={self.extract},"
            f"eval={self.eval_seconds:g}s/{self.eval_mb}MB)"
        )
