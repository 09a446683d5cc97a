"""``Case`` and ``Suite``: known-answer data for prompt search and evaluation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .scorers import Scorer


@dataclass(frozen=True)
class Case:
    """One input with its known answer.

    ``variables`` are what a prompt template sees (as data, never as template source); ``expected`` is what
    the scorer compares against; ``solution`` is an optional worked answer shown when the case serves as a
    few-shot example (a GSM8K rationale ending in ``#### 18``, say). ``id`` is stable across runs: studies
    resume and splits are assigned by it.
    """

    id: str
    variables: Mapping[str, Any]
    expected: Any
    solution: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def content_id(variables: Mapping[str, Any], expected: Any, prefix: str = "case") -> str:
        """An id derived from the content, for sources whose rows carry none."""
        blob = json.dumps({"v": variables, "e": expected}, sort_keys=True, default=repr, ensure_ascii=False)
        return f"{prefix}-{hashlib.sha256(blob.encode('utf-8')).hexdigest()[:12]}"

    @property
    def label(self) -> str:
        """The stratum a split keeps balanced: the expected answer as text."""
        return self.expected if isinstance(self.expected, str) else json.dumps(self.expected, default=repr)


@dataclass(frozen=True)
class LoadProblem:
    """A row a loader could not use; the suite went on without it."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Suite:
    """A named, ordered collection of cases, with the scorer its format suggests.

    ``labels`` is set for classification suites (the canonical answers, e.g. ``negative``/``positive``).
    ``problems`` lists rows that were skipped because they were malformed (only when loaded with
    ``strict=False``).
    """

    name: str
    cases: tuple[Case, ...]
    scorer: Scorer | None = None
    labels: tuple[str, ...] | None = None
    source: str = ""
    problems: tuple[LoadProblem, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for case in self.cases:
            if case.id in seen:
                raise ValueError(
                    f"suite {self.name!r} has two cases with id {case.id!r}; case ids must be unique"
                )
            seen.add(case.id)

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def __getitem__(self, index: int) -> Case:
        return self.cases[index]

    def head(self, n: int) -> Suite:
        return replace(self, cases=self.cases[:n])

    def with_cases(self, cases: Sequence[Case]) -> Suite:
        return replace(self, cases=tuple(cases))

    def with_scorer(self, scorer: Scorer) -> Suite:
        return replace(self, scorer=scorer)
