"""Scorers: did an output give a case's known answer?

A scorer never raises because of what the model wrote: a wrong, empty or unparseable output is a
``Score`` with ``correct=False`` and a ``detail`` saying why. ``ScoringError`` is for broken case data (an
expected answer the scorer cannot read), which a study records against that case and goes on.
"""

from __future__ import annotations

import math
import operator
import re
import string
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..checks.base import Check
from ..errors import ScoringError
from .case import Case


@dataclass(frozen=True)
class Score:
    correct: bool
    #: What the scorer read from the output (the extracted number, label, parsed value...).
    answer: Any = None
    detail: str = ""


class Scorer(ABC):
    """Judges one output against one case."""

    name: str = "scorer"

    @abstractmethod
    def score(self, output: str, case: Case) -> Score:
        """Score ``output`` for ``case``; bad output gives ``correct=False``, never an exception."""

    async def ascore(self, output: str, case: Case) -> Score:
        """Async form; scorers that call models or subprocesses override it."""
        return self.score(output, case)

    def with_labels(self, words: Mapping[str, str]) -> Scorer:
        """This scorer for a prompt that writes ``words[label]`` for each canonical label."""
        return self

    def describe(self) -> str:
        """Identifies the scorer's configuration (a study rescores stored outputs when it changes)."""
        return self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()!r})"


def _expected_text(case: Case) -> str:
    if isinstance(case.expected, str):
        return case.expected
    if isinstance(case.expected, bool | int | float):
        return str(case.expected)
    raise ScoringError(f"case {case.id}: expected answer {case.expected!r} is not text; use another scorer")


class Exact(Scorer):
    """The output, stripped of surrounding whitespace, equals the expected text."""

    name = "exact"

    def __init__(self, *, strip: bool = True, first_line: bool = False):
        self.strip = strip
        self.first_line = first_line

    def score(self, output: str, case: Case) -> Score:
        text = output.strip().split("\n", 1)[0] if self.first_line else output
        text = text.strip() if self.strip else text
        want = _expected_text(case)
        want = want.strip() if self.strip else want
        ok = text == want
        return Score(ok, text, "" if ok else f"expected {want!r}, got {_short(text)!r}")

    def describe(self) -> str:
        return f"exact(strip={self.strip},first_line={self.first_line})"


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans(dict.fromkeys(string.punctuation, " "))


def normalize(text: str, *, drop_articles: bool = True) -> str:
    """SQuAD-style normalization: lower case, no punctuation, no articles, single spaces.

    Articles stay when nothing else would (so the choice ``(A)`` normalizes to ``a``, not to nothing).
    """
    plain = " ".join(text.lower().translate(_PUNCT).split())
    if not drop_articles:
        return plain
    return " ".join(_ARTICLES.sub(" ", plain).split()) or plain


class Normalized(Scorer):
    """Equal after ``normalize`` (case, punctuation, articles and spacing ignored).

    ``first_line`` reads only the output's first non-empty line (base models run on after the answer).
    """

    name = "normalized"

    def __init__(self, *, first_line: bool = True):
        self.first_line = first_line

    def score(self, output: str, case: Case) -> Score:
        text = _first_line(output) if self.first_line else output
        got, want = normalize(text), normalize(_expected_text(case))
        ok = got == want
        return Score(ok, got, "" if ok else f"expected {want!r}, got {_short(got)!r}")

    def describe(self) -> str:
        return f"normalized(first_line={self.first_line})"


_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+")
_HASHES = re.compile(r"####\s*\$?\s*(" + _NUMBER.pattern + ")")
NumericMode = Literal["auto", "hashes", "last", "first"]


def parse_number(text: str) -> float | None:
    """A number as written (``1,234``, ``-3.5``, ``.5``), or None."""
    try:
        return float(text.replace(",", "").replace("$", "").strip())
    except ValueError:
        return None


def extract_number(output: str, mode: NumericMode = "auto") -> float | None:
    """The answer number: after ``####`` (``hashes``), the last or first number, or ``auto``: ``####`` if
    present, else the last number."""
    if mode in ("auto", "hashes"):
        m = _HASHES.search(output)
        if m:
            return parse_number(m.group(1))
        if mode == "hashes":
            return None
    numbers = _NUMBER.findall(output)
    if not numbers:
        return None
    return parse_number(numbers[0] if mode == "first" else numbers[-1])


class Numeric(Scorer):
    """The number in the output equals the expected number within ``abs_tol`` / ``rel_tol``."""

    name = "numeric"

    def __init__(self, *, mode: NumericMode = "auto", abs_tol: float = 1e-6, rel_tol: float = 0.0):
        self.mode: NumericMode = mode
        self.abs_tol = abs_tol
        self.rel_tol = rel_tol

    def score(self, output: str, case: Case) -> Score:
        want = case.expected if isinstance(case.expected, int | float) else parse_number(str(case.expected))
        if want is None or isinstance(want, bool):
            raise ScoringError(f"case {case.id}: expected answer {case.expected!r} is not a number")
        got = extract_number(output, self.mode)
        if got is None:
            return Score(False, None, f"no number found ({self.mode}) in {_short(output)!r}")
        ok = math.isclose(got, float(want), abs_tol=self.abs_tol, rel_tol=self.rel_tol)
        return Score(ok, got, "" if ok else f"expected {float(want):g}, got {got:g}")

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
        try:
            self.pattern = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid scorer regex {pattern!r}: {exc}") from None
        self.group = group
        self.which = which
        self.normalize_text = normalize_text

    def score(self, output: str, case: Case) -> Score:
        matches = list(self.pattern.finditer(output))
        if not matches:
            return Score(False, None, f"no match for /{self.pattern.pattern}/ in {_short(output)!r}")
        m = matches[0] if self.which == "first" else matches[-1]
        got = m.group(self.group) or ""
        want = _expected_text(case)
        ok = normalize(got) == normalize(want) if self.normalize_text else got == want
        return Score(ok, got, "" if ok else f"expected {want!r}, extracted {_short(got)!r}")

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
        if isinstance(labels, Mapping):
            self.labels = {str(k): tuple(str(w) for w in v) or (str(k),) for k, v in labels.items()}
        else:
            self.labels = {str(k): (str(k),) for k in labels}
        if not self.labels:
            raise ValueError("LabelOf needs at least one label")
        self.search = search
        words = [
            (normalize(w, drop_articles=False), label)
            for label, ws in self.labels.items()
            for w in (*ws, label)
        ]
        # Longest first, so 'very good' wins over 'good'.
        self._words = sorted({(w, lab) for w, lab in words if w}, key=lambda p: (-len(p[0]), p[0]))
        self._description = (
            f"label({sorted((k, sorted(v)) for k, v in self.labels.items())},search={self.search})"
        )

    def with_labels(self, words: Mapping[str, str]) -> LabelOf:
        merged = {label: (*ws, words[label]) if label in words else ws for label, ws in self.labels.items()}
        return LabelOf(merged, search=self.search)

    def read(self, output: str) -> str | None:
        text = normalize(output, drop_articles=False)
        if not self.search:
            for word, label in self._words:
                if text == word or text.startswith(word + " "):
                    return label
            return None
        best: tuple[int, int, str] | None = None
        for word, label in self._words:
            m = re.search(r"(?:^| )" + re.escape(word) + r"(?: |$)", text)
            if m and (best is None or (m.start(), -len(word)) < (best[0], best[1])):
                best = (m.start(), -len(word), label)
        return best[2] if best else None

    def score(self, output: str, case: Case) -> Score:
        want = _expected_text(case)
        if want not in self.labels:
            raise ScoringError(f"case {case.id}: expected label {want!r} is not one of {sorted(self.labels)}")
        got = self.read(output)
        if got is None:
            return Score(False, None, f"no label of {sorted(self.labels)} in {_short(output)!r}")
        return Score(got == want, got, "" if got == want else f"expected {want!r}, got {got!r}")

    def describe(self) -> str:
        return self._description


class ParseThenCompare(Scorer):
    """Run a guardrail ``Check`` on the output; compare the value it accepts with the expected answer.

    A rejected output scores wrong, with the check's feedback as the detail. ``compare`` defaults to
    equality; ``expected`` can turn the case's stored answer into the value to compare with.
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

    def score(self, output: str, case: Case) -> Score:
        verdict = self.check.check(output)
        if not verdict.ok:
            return Score(False, None, f"rejected by {self.check.name}: {verdict.feedback()}")
        want = self.expected(case) if self.expected else case.expected
        ok = bool(self.compare(verdict.value, want))
        return Score(ok, verdict.value, "" if ok else f"parsed {verdict.value!r}, expected {want!r}")

    def describe(self) -> str:
        return f"parse({self.check.name},{getattr(self.compare, '__name__', 'compare')})"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
