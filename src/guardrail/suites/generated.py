"""Generated suites: a hypothesis strategy draws inputs, a function computes each known answer.

When a prompt fails on generated inputs, ``GeneratedSuite.shrink`` asks hypothesis for the smallest input
on which it still fails (``a + b`` with 2-digit numbers rather than 9-digit ones), which is the case worth
showing a person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from hypothesis import HealthCheck, Phase, find, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample, Unsatisfiable

from .case import Case, Suite
from .scorers import Scorer

T = TypeVar("T")


def default_variables(value: Any) -> dict[str, Any]:
    """Dicts are the variables; tuples become ``x0, x1, ...``; anything else is ``x``."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, tuple):
        return {f"x{i}": v for i, v in enumerate(value)}
    return {"x": value}


@dataclass(frozen=True)
class Shrunk(Generic[T]):
    """The smallest failing input hypothesis found, and how many inputs it tried."""

    value: T
    case: Case
    tried: int


class GeneratedSuite(Generic[T]):
    """Cases drawn from ``strategy``; ``answer(value)`` is the expected answer of each."""

    def __init__(
        self,
        name: str,
        strategy: st.SearchStrategy[T],
        answer: Callable[[T], Any],
        *,
        variables: Callable[[T], Mapping[str, Any]] = default_variables,
        scorer: Scorer | None = None,
        labels: Sequence[str] | None = None,
    ):
        self.name = name
        self.strategy = strategy
        self.answer = answer
        self.variables = variables
        self.scorer = scorer
        self.labels = tuple(labels) if labels else None

    def case_for(self, value: T) -> Case:
        variables = dict(self.variables(value))
        expected = self.answer(value)
        return Case(
            Case.content_id(variables, expected, prefix=self.name),
            variables,
            expected,
            metadata={"generated": repr(value)},
        )

    def suite(self, n: int, *, seed_value: int = 0) -> Suite:
        """``n`` distinct cases, the same for the same seed."""
        values = draw(self.strategy, n, seed_value=seed_value)
        cases: dict[str, Case] = {}
        for v in values:
            case = self.case_for(v)
            cases.setdefault(case.id, case)
        return Suite(
            self.name,
            tuple(cases.values()),
            scorer=self.scorer,
            labels=self.labels,
            source=f"generated:{self.name}",
        )

    def shrink(self, fails: Callable[[Case], bool], *, max_examples: int = 200) -> Shrunk[T] | None:
        """The smallest input whose case ``fails``, or None when none of ``max_examples`` tries failed."""
        tried = 0

        def condition(value: T) -> bool:
            nonlocal tried
            tried += 1
            return fails(self.case_for(value))

        try:
            value = find(
                self.strategy,
                condition,
                settings=settings(
                    database=None,
                    max_examples=max_examples,
                    derandomize=True,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                ),
            )
        except (NoSuchExample, Unsatisfiable):
            return None
        return Shrunk(value, self.case_for(value), tried)


def draw(strategy: st.SearchStrategy[T], n: int, *, seed_value: int = 0) -> list[T]:
    """Up to ``n`` distinct values from ``strategy``, deterministically for a seed."""
    seen: dict[str, T] = {}

    @seed(seed_value)
    @settings(
        database=None,
        max_examples=max(10, n * 4),
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: T) -> None:
        if len(seen) < n:
            seen.setdefault(repr(value), value)

    collect()
    return list(seen.values())
