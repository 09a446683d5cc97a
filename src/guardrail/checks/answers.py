"""Answer checks: did an output give a known answer?

Each check holds the expected answer, reads the answer from the output (the stripped text, a normalized
phrase, the last number, a regex group, a label word) and accepts with the answer it read, or rejects
with ``answer.missing`` (nothing of the right kind was found) or ``answer.wrong`` (something was found,
and it is not the expected answer). Suites turn each case into one of these (a scorer is ``case ->
Check``), so the assertions of benchmarks and prompt tests are the same checks the Guard runs.

The feedback sentence never reveals the expected answer: a Guard repairing with these checks must not
hand the model the answer key.
"""

from __future__ import annotations

import math
import operator
import re
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from .._text import clip, show_value
from .base import DEFAULT_MAX_CHARS, Check, ErrorDetail, Verdict, too_long

NumericMode = Literal["auto", "hashes", "last", "first"]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans(dict.fromkeys(string.punctuation, " "))
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+")
_HASHES = re.compile(r"####\s*\$?\s*(" + _NUMBER.pattern + ")")


def normalize(text: str, *, drop_articles: bool = True) -> str:
    """SQuAD-style normalization: lower case, no punctuation, no articles, single spaces.

    Articles stay when nothing else would (so the choice ``(A)`` normalizes to ``a``, not to nothing).
    """
    plain = " ".join(text.lower().translate(_PUNCT).split())
    if not drop_articles:
        return plain
    return " ".join(_ARTICLES.sub(" ", plain).split()) or plain


def first_line(text: str) -> str:
    """The first line with anything on it (base models run on after the answer)."""
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def parse_number(text: str) -> float | None:
    """A number as written (``1,234``, ``-3.5``, ``.5``, ``$7``), or None."""
    try:
        value = float(text.replace(",", "").replace("$", "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


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


class AnswerCheck(Check):
    """Reads an answer from the output and compares it with ``expected``.

    Subclasses say how to ``read`` (None: no answer of that kind in the output) and, if equality is not
    the test, how answers ``match``.
    """

    name = "answer"
    #: What the check looks for, said to the model when the output has none ("a number").
    looks_for = "an answer"
    #: The same, said to people ("no number").
    missing = "no answer"

    def __init__(self, expected: Any, *, max_chars: int = DEFAULT_MAX_CHARS):
        self.expected = expected
        self.max_chars = max_chars

    def read(self, text: str) -> Any | None:
        return text

    def match(self, got: Any) -> bool:
        return bool(got == self.expected)

    def check(self, value: Any) -> Verdict:
        text = value if isinstance(value, str) else str(value)
        if (rejected := too_long(self.name, text, self.max_chars)) is not None:
            return rejected
        got = self.read(text)
        if got is None:
            return Verdict.reject(
                ErrorDetail(
                    check=self.name,
                    code="answer.missing",
                    message=f"{self.missing} found in {clip(text, 60)!r}",
                    feedback=f"Your answer should contain {self.looks_for}.",
                    expected=self.looks_for,
                    found=clip(text, 60),
                )
            )
        if self.match(got):
            return Verdict.accept(got)
        return Verdict.reject(
            ErrorDetail(
                check=self.name,
                code="answer.wrong",
                message=f"expected {show_value(self.expected)}, got {show_value(got)}",
                feedback="That answer is not correct.",
                expected=show_value(self.expected),
                found=clip(str(got), 60),
            )
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({show_value(self.expected)})"


class ExactAnswer(AnswerCheck):
    """The output (optionally only its first line), stripped of surrounding whitespace, is the text."""

    name = "exact"
    looks_for = "an answer"

    def __init__(self, expected: str, *, strip: bool = True, first_line: bool = False):
        super().__init__(expected.strip() if strip else expected)
        self.strip = strip
        self.first_line = first_line

    def read(self, text: str) -> str:
        if self.first_line:
            text = text.strip().split("\n", 1)[0]
        return text.strip() if self.strip else text


class NormalizedAnswer(AnswerCheck):
    """Equal after ``normalize`` (case, punctuation, articles and spacing ignored)."""

    name = "normalized"

    def __init__(self, expected: str, *, first_line: bool = True):
        super().__init__(normalize(expected))
        self.first_line = first_line

    def read(self, text: str) -> str:
        return normalize(first_line(text) if self.first_line else text)


class NumericAnswer(AnswerCheck):
    """The number in the output (see ``extract_number``) equals ``expected`` within the tolerances."""

    name = "numeric"
    looks_for = "a number"
    missing = "no number"

    def __init__(
        self, expected: float, *, mode: NumericMode = "auto", abs_tol: float = 1e-6, rel_tol: float = 0.0
    ):
        super().__init__(float(expected))
        self.mode: NumericMode = mode
        self.abs_tol = abs_tol
        self.rel_tol = rel_tol

    def read(self, text: str) -> float | None:
        return extract_number(text, self.mode)

    def match(self, got: Any) -> bool:
        return math.isclose(got, self.expected, abs_tol=self.abs_tol, rel_tol=self.rel_tol)


class RegexAnswer(AnswerCheck):
    """The first (or last) match of ``pattern`` (a group of it), compared normalized or exactly.

    The pattern belongs to the suite author; model output is only ever the subject of the match.
    """

    name = "regex"

    def __init__(
        self,
        expected: str,
        pattern: str | re.Pattern[str],
        *,
        group: int | str = 0,
        which: Literal["first", "last"] = "first",
        normalize_text: bool = True,
    ):
        super().__init__(expected)
        self.pattern = pattern if isinstance(pattern, re.Pattern) else compile_pattern(pattern)
        self.looks_for = "an answer in the expected format"
        self.missing = f"no match for /{self.pattern.pattern}/"
        self.group = group
        self.which = which
        self.normalize_text = normalize_text

    def read(self, text: str) -> str | None:
        found: re.Match[str] | None = None
        for m in self.pattern.finditer(text):
            found = m
            if self.which == "first":
                break
        return None if found is None else (found.group(self.group) or "")

    def match(self, got: Any) -> bool:
        if self.normalize_text:
            return normalize(str(got)) == normalize(str(self.expected))
        return bool(got == self.expected)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid answer regex {pattern!r}: {exc}") from None


class LabelReader:
    """Finds which of a fixed set of labels an output names.

    ``labels`` maps each canonical label to the words that count as it (a list of labels means each label is
    its own word). With ``search=False`` the label must open the output (a base model's continuation); with
    ``search=True`` the earliest label word anywhere counts (after a chain of thought, say). Longer words
    win over their prefixes ('very good' over 'good').
    """

    def __init__(self, labels: Mapping[str, Sequence[str]] | Sequence[str], *, search: bool = False):
        if isinstance(labels, Mapping):
            self.labels = {str(k): tuple(str(w) for w in v) or (str(k),) for k, v in labels.items()}
        else:
            self.labels = {str(k): (str(k),) for k in labels}
        if not self.labels:
            raise ValueError("a label check needs at least one label")
        self.search = search
        words = [
            (normalize(w, drop_articles=False), label)
            for label, ws in self.labels.items()
            for w in (*ws, label)
        ]
        self._words = sorted({(w, lab) for w, lab in words if w}, key=lambda p: (-len(p[0]), p[0]))

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


class LabelAnswer(AnswerCheck):
    """The output names a label of ``reader``'s set, and it is ``expected``."""

    name = "label"

    def __init__(self, expected: str, reader: LabelReader):
        if expected not in reader.labels:
            raise ValueError(f"expected label {expected!r} is not one of {sorted(reader.labels)}")
        super().__init__(expected)
        self.reader = reader
        self.looks_for = f"one of the labels {', '.join(sorted(reader.labels))}"
        self.missing = f"no label of {sorted(reader.labels)}"

    def read(self, text: str) -> str | None:
        return self.reader.read(text)


class Compare(Check):
    """Accepts a value (typically what an earlier check parsed) when ``compare(value, expected)`` holds."""

    name = "compare"

    def __init__(self, expected: Any, compare: Callable[[Any, Any], bool] = operator.eq):
        self.expected = expected
        self.compare = compare

    def check(self, value: Any) -> Verdict:
        try:
            ok = bool(self.compare(value, self.expected))
        except Exception as exc:  # comparing a hostile parsed value must reject, not crash
            ok, why = False, f" ({type(exc).__name__})"
        else:
            why = ""
        if ok:
            return Verdict.accept(value)
        return Verdict.reject(
            ErrorDetail(
                check=self.name,
                code="answer.wrong",
                message=f"parsed {show_value(value)}, expected {show_value(self.expected)}{why}",
                feedback="That answer is not correct.",
                expected=show_value(self.expected),
                found=show_value(value),
            )
        )
