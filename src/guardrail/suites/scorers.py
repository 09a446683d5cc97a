"""Scorers: a scorer turns a case into the check its output must pass.

``scorer.check_for(case)`` is an answer check (``guardrail.checks.answers``), a parse-then-compare
pipeline, code against the case's tests, or an LLM judge; ``score(output, case)`` runs it and gives the
``Verdict``. So a benchmark's assertion is the same kind of object the Guard runs.

A wrong, empty or unparseable output is a rejecting verdict, never an exception. ``ScoringError`` (raised by
``check_for``) is for broken case data, an expected answer the scorer cannot read, which a study records
against that case and goes on.

``describe()`` identifies a scorer's configuration stably: study stores key stored outcomes on it, and
rescore stored outputs (without calling the model) when it changes.
"""

from __future__ import annotations

import operator
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from ..checks.answers import (
    Compare,
    ExactAnswer,
    LabelAnswer,
    LabelReader,
    NormalizedAnswer,
    NumericAnswer,
    NumericMode,
    RegexAnswer,
    compile_pattern,
    extract_number,
    normalize,
    parse_number,
)
from ..checks.base import Check, Verdict
from ..errors import ScoringError
from .case import Case

__all__ = [
    "Exact",
    "LabelOf",
    "Normalized",
    "Numeric",
    "ParseThenCompare",
    "Regex",
    "Scorer",
    "extract_number",
    "normalize",
]


class Scorer(ABC):
    """Turns a case into the check that judges an output for it."""

    name: str = "scorer"

    @abstractmethod
    def check_for(self, case: Case) -> Check:
        """The check for ``case``; raises ``ScoringError`` when the case's expected answer is unusable."""

    def score(self, output: str, case: Case) -> Verdict:
        """``output`` judged for ``case``: a bad output is a rejecting verdict, never an exception."""
        return self.check_for(case).check(output)

    async def ascore(self, output: str, case: Case) -> Verdict:
        return await self.check_for(case).acheck(output)

    def with_labels(self, words: Mapping[str, str]) -> Scorer:
        """This scorer for a prompt that writes ``words[label]`` for each canonical label."""
        return self

    def describe(self) -> str:
        """Identifies the scorer's configuration (a study rescores stored outputs when it changes)."""
        return self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()!r})"


def expected_text(case: Case) -> str:
    """The case's expected answer as text; a ``ScoringError`` when it is not text-like."""
    if isinstance(case.expected, str):
        return case.expected
    if isinstance(case.expected, bool | int | float):
        return str(case.expected)
    raise ScoringError(
        f"case {case.id}: expected answer {case.expected!r} is not text; use another scorer", case_id=case.id
    )


class Exact(Scorer):
    """The output, stripped of surrounding whitespace, equals the expected text."""

    name = "exact"

    def __init__(self, *, strip: bool = True, first_line: bool = False):
        self.strip = strip
        self.first_line = first_line

    def check_for(self, case: Case) -> ExactAnswer:
        return ExactAnswer(expected_text(case), strip=self.strip, first_line=self.first_line)

    def describe(self) -> str:
        return f"exact(strip={self.strip},first_line={self.first_line})"


class Normalized(Scorer):
    """Equal after ``normalize`` (case, punctuation, articles and spacing ignored).

    ``first_line`` reads only the output's first non-empty line (base models run on after the answer).
    """

    name = "normalized"

    def __init__(self, *, first_line: bool = True):
        self.first_line = first_line

    def check_for(self, case: Case) -> NormalizedAnswer:
        return NormalizedAnswer(expected_text(case), first_line=self.first_line)

    def describe(self) -> str:
        return f"normalized(first_line={self.first_line})"


class Numeric(Scorer):
    """The number in the output equals the expected number within ``abs_tol`` / ``rel_tol``."""

    name = "numeric"

    def __init__(self, *, mode: NumericMode = "auto", abs_tol: float = 1e-6, rel_tol: float = 0.0):
        self.mode: NumericMode = mode
        self.abs_tol = abs_tol
        self.rel_tol = rel_tol

    def check_for(self, case: Case) -> NumericAnswer:
        want = case.expected if isinstance(case.expected, int | float) else parse_number(str(case.expected))
        if want is None or isinstance(want, bool):
            raise ScoringError(
                f"case {case.id}: expected answer {case.expected!r} is not a number", case_id=case.id
            )
        return NumericAnswer(want, mode=self.mode, abs_tol=self.abs_tol, rel_tol=self.rel_tol)

    def describe(self) -> str:
        return f"numeric(mode={self.mode},abs_tol={self.abs_tol},rel_tol={self.rel_tol})"


class Regex(Scorer):
    """Extract the answer with a regular expression (first or last match, a group), then compare normalized.

    The pattern belongs to the suite author; model output is only ever the subject of the match.
    """

    name = "regex"

    def __init__(
        self,
        pattern: str,
        *,
        group: int | str = 0,
        which: Literal["first", "last"] = "first",
        normalize_text: bool = True,
    ):
        self.pattern = compile_pattern(pattern)
        self.group = group
        self.which: Literal["first", "last"] = which
        self.normalize_text = normalize_text

    def check_for(self, case: Case) -> RegexAnswer:
        return RegexAnswer(
            expected_text(case),
            self.pattern,
            group=self.group,
            which=self.which,
            normalize_text=self.normalize_text,
        )

    def describe(self) -> str:
        return f"regex({self.pattern.pattern!r},group={self.group},which={self.which})"


class LabelOf(Scorer):
    """The output names one label of a fixed set, and it is the expected one.

    ``labels`` maps each canonical label to the words that count as it (a list of labels means each label is
    its own word). With ``search=False`` the label must open the output (a base model's continuation);
    with ``search=True`` the earliest label word anywhere counts (after a chain of thought, say).
    ``with_labels`` adds a prompt's own words (``great``/``terrible``) as words for their labels.
    """

    name = "label"

    def __init__(self, labels: Mapping[str, Sequence[str]] | Sequence[str], *, search: bool = False):
        self.reader = LabelReader(labels, search=search)
        self.labels = self.reader.labels
        self.search = search
        self._description = (
            f"label({sorted((k, sorted(v)) for k, v in self.labels.items())},search={self.search})"
        )

    def with_labels(self, words: Mapping[str, str]) -> LabelOf:
        merged = {label: (*ws, words[label]) if label in words else ws for label, ws in self.labels.items()}
        return LabelOf(merged, search=self.search)

    def read(self, output: str) -> str | None:
        return self.reader.read(output)

    def check_for(self, case: Case) -> LabelAnswer:
        want = expected_text(case)
        if want not in self.labels:
            raise ScoringError(
                f"case {case.id}: expected label {want!r} is not one of {sorted(self.labels)}",
                case_id=case.id,
            )
        return LabelAnswer(want, self.reader)

    def describe(self) -> str:
        return self._description


class ParseThenCompare(Scorer):
    """Run a guardrail ``Check`` on the output; compare the value it accepts with the expected answer.

    A rejected output scores wrong with the check's own errors. ``compare`` defaults to equality;
    ``expected`` can turn the case's stored answer into the value to compare with.
    """

    name = "parse"

    def __init__(
        self,
        check: Check,
        *,
        compare: Callable[[Any, Any], bool] = operator.eq,
        expected: Callable[[Case], Any] | None = None,
    ):
        self.check = check
        self.compare = compare
        self.expected = expected

    def check_for(self, case: Case) -> Check:
        want = self.expected(case) if self.expected else case.expected
        return self.check >> Compare(want, self.compare)

    def describe(self) -> str:
        return f"parse({self.check.name},{getattr(self.compare, '__name__', 'compare')})"
