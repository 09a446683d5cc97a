"""``Racket``: the output is a Racket program and nothing else; ``RacketTests``: and it passes its tests.

``Racket`` is the shipped ``racket`` grammar (``grammars/racket.lark``): an optional ``#lang`` line, then one
or more top-level forms. Prose, Markdown fences and trailing explanations are rejected with their line and
column; with ``extract=True`` the program is found inside them instead (fenced blocks first, then the
longest stretch that parses). ``define_only=True`` is the rule "it begins with (define and ends with )":
every top-level form is a definition (``define``, ``define-values``, ...), and no ``#lang`` line. The same
grammar judges prefixes of a stream (``viable``), so a Guard stops a reply at its first stray word. The
accepted value is the program's text (the extracted part, with ``extract``).

``RacketTests`` runs a program with the real ``racket`` against rackunit tests (``sandbox_racket``); put it
after ``Racket`` in a pipeline: ``Racket(extract=True) >> RacketTests(tests)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from lark import Token, Tree
from lark.exceptions import LarkError

from .._text import clip, show_value
from ..resources import grammar_path
from ..sandbox import Limits
from ..sandbox_racket import EVAL_MB, EVAL_SECONDS, RacketRun, run_racket
from .base import Check, ErrorDetail, Verdict
from .grammar import Grammar

__all__ = ["Racket", "RacketTests"]


def _is_definition(head: str) -> bool:
    return head == "define" or head.startswith("define-")


class Racket(Grammar):
    """Accepts a Racket program and nothing else; the value is the program text."""

    def __init__(
        self,
        *,
        define_only: bool = False,
        extract: bool = False,
        max_chars: int | None = None,
        name: str = "racket",
    ):
        path = grammar_path("racket")
        super().__init__(
            path.read_text(encoding="utf-8"), extract=extract, max_chars=max_chars, name="racket", source=path
        )
        self.define_only = define_only
        self.name = name

    def _transform(self, text: str, span: Any, tree: Tree[Any]) -> Verdict:
        if self.define_only:
            problem = self._not_definitions(text, span.start, tree)
            if problem is not None:
                return Verdict.reject(problem)
        return Verdict.accept(text[span.start : span.end])

    def _not_definitions(self, text: str, base: int, tree: Tree[Any]) -> ErrorDetail | None:
        """The first top-level part that is not a ``(define ...)`` form, as an error."""
        for number, child in enumerate(tree.children, start=1):
            if isinstance(child, Tree) and child.data == "lang_line":
                token = child.children[0]
                start = token.start_pos if isinstance(token, Token) and token.start_pos is not None else 0
                return self._located(
                    text,
                    base + start,
                    f"the program starts with a {show_value(str(token).strip())} line",
                    "Start the program with (define, not with a #lang line.",
                    "racket.lang_line",
                    str(token).strip(),
                )
            if not isinstance(child, Tree) or child.data != "list":
                continue  # a datum comment: the reader skips it
            head = _head(child)
            if head is None or not _is_definition(str(head)):
                found = str(head) if head is not None else "()"
                offset = base + (head.start_pos if head is not None and head.start_pos is not None else 0)
                return self._located(
                    text,
                    offset,
                    f"top-level form {number} is not a definition: it starts with {show_value(found)}",
                    f"Every top-level form must be a (define ...); form {number} starts with "
                    f"{show_value(clip(found, 30))}.",
                    "racket.not_a_definition",
                    found,
                )
        return None

    def _located(
        self, text: str, offset: int, message: str, feedback: str, code: str, found: str
    ) -> ErrorDetail:
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        return ErrorDetail(
            check=self.name,
            message=f"{message} (line {line}, column {column})",
            feedback=feedback,
            expected="(define ...)",
            line=line,
            column=column,
            offset=offset,
            code=code,
            found=clip(found, 60),
        )

    def viable(self, prefix: str) -> bool:
        if not super().viable(prefix):
            return False
        return not self.define_only or self.extract is not None or _heads_viable(self, prefix)

    def __repr__(self) -> str:
        return f"Racket(define_only={self.define_only}, extract={self.extract is not None})"


def _head(form: Tree[Any]) -> Token | None:
    """The first word of a list form, if it starts with one."""
    if not form.children:
        return None
    first = form.children[0]
    if isinstance(first, Tree) and first.data == "atom" and first.children:
        token = first.children[0]
        if isinstance(token, Token) and token.type == "ATOM":
            return token
    return None


def _heads_viable(check: Racket, prefix: str) -> bool:
    """Whether every top-level form begun in ``prefix`` is (or can still become) a definition."""
    depth = 0
    expect_head = False
    try:
        tokens = list(check.lark.lex(prefix))
    except LarkError:
        return True  # the grammar's own viability already judged the syntax
    for token in tokens:
        at_end = token.end_pos == len(prefix)
        if expect_head:
            expect_head = False
            word = str(token)
            if token.type == "ATOM" and at_end:
                if not ("define".startswith(word) or _is_definition(word) or word.startswith("define-")):
                    return False
            elif token.type != "ATOM" or not _is_definition(word):
                return False
        if token.type == "LANG_LINE" and depth == 0:
            return False
        if str(token) in ("(", "[", "{", "#(", "#[") or token.type == "HASH_OPEN":
            if depth == 0:
                expect_head = True
            depth += 1
        elif str(token) in (")", "]", "}"):
            depth -= 1
    return True


class RacketTests(Check):
    """Accepts a Racket program that passes ``tests`` (rackunit forms) in the real ``racket``, contained.

    A program that loops, allocates without bound, opens a socket or writes a file is stopped and rejected
    with the reason (code ``code.timeout``, ``code.memory``, ``code.failed``, ``code.crashed``). The value is
    the program. Needs Racket installed (``apt-get install racket``).
    """

    name = "racket_tests"

    def __init__(
        self,
        tests: Sequence[str] | str,
        *,
        limits: Limits | None = None,
        eval_seconds: float = EVAL_SECONDS,
        eval_mb: int = EVAL_MB,
    ):
        self.tests = [tests] if isinstance(tests, str) else list(tests)
        self.limits = limits
        self.eval_seconds = eval_seconds
        self.eval_mb = eval_mb

    def run(self, program: Any) -> RacketRun:
        text = program if isinstance(program, str) else str(program)
        return run_racket(
            text, self.tests, limits=self.limits, eval_seconds=self.eval_seconds, eval_mb=self.eval_mb
        )

    def check(self, value: Any) -> Verdict:
        return self._verdict(value, self.run(value))

    async def acheck(self, value: Any) -> Verdict:
        return self._verdict(value, await asyncio.to_thread(self.run, value))

    def _verdict(self, program: Any, run: RacketRun) -> Verdict:
        if run.passed:
            return Verdict.accept(program)
        return Verdict.reject(
            ErrorDetail(
                check=self.name,
                code=f"code.{run.status}",
                message=clip(f"{run.status}: {run.detail}", 1000),
                feedback=clip(f"The program did not pass its tests ({run.status}): {run.detail}", 300),
                expected="a program that passes the tests",
                found=run.status,
            )
        )
