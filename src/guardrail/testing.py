"""Statistical assertions for prompt tests: pass rates with confidence intervals, not single samples.

``assert_pass_rate`` runs a check over cases (and optionally several samples per case) and passes only when
the pass rate's lower confidence bound reaches the threshold, so a prompt that passes by luck on a few
samples does not pass the test. Works with or without the pytest plugin; under the plugin each result also
appears in the terminal summary.
"""

from __future__ import annotations

import inspect
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings

from .search.stats import Interval, wilson

#: Hypothesis settings for tests that call a model: no deadline (model calls are slow and cached calls are
#: fast, so timings vary), derandomized so a replayed run asks exactly the recorded questions.
model_settings = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: Set by the pytest plugin from --guardrail-concurrency.
DEFAULT_CONCURRENCY = 1


@dataclass(frozen=True)
class PassRate:
    name: str
    successes: int
    n: int
    interval: Interval
    threshold: float
    #: Outcomes per case (one per sample), in case order.
    per_case: tuple[tuple[bool, ...], ...] = field(repr=False)
    case_labels: tuple[str, ...] = field(repr=False)

    @property
    def rate(self) -> float:
        return self.successes / self.n if self.n else float("nan")

    @property
    def passed(self) -> bool:
        return self.interval.low >= self.threshold

    @property
    def flakiness(self) -> float | None:
        """Share of cases whose samples disagree (some pass, some fail); None with one sample per case."""
        multi = [o for o in self.per_case if len(o) > 1]
        if not multi:
            return None
        return sum(1 for o in multi if any(o) and not all(o)) / len(multi)

    def failing_cases(self, limit: int = 5) -> list[str]:
        return [label for label, o in zip(self.case_labels, self.per_case, strict=True) if not all(o)][:limit]

    def describe(self) -> str:
        conf = f"{self.interval.confidence:.0%}"
        text = (
            f"{self.name}: pass rate {self.successes}/{self.n} = {self.rate:.1%}, {conf} interval "
            f"[{self.interval.low:.1%}, {self.interval.high:.1%}], threshold {self.threshold:.1%}"
        )
        if self.flakiness is not None:
            text += f", flaky cases {self.flakiness:.0%}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "successes": self.successes,
            "n": self.n,
            "rate": self.rate,
            "low": self.interval.low,
            "high": self.interval.high,
            "confidence": self.interval.confidence,
            "threshold": self.threshold,
            "passed": self.passed,
            "flakiness": self.flakiness,
        }


class PassRateError(AssertionError):
    def __init__(self, result: PassRate):
        self.result = result
        failing = result.failing_cases()
        hint = (
            "; the lower end of the interval must reach the threshold. "
            f"Failing cases (first {len(failing)}): " + "; ".join(failing)
            if failing
            else "; the lower end of the interval must reach the threshold: add cases to narrow it"
        )
        super().__init__(result.describe() + hint)


_results_lock = threading.Lock()
#: (test id, result) pairs collected for the pytest plugin's summary.
RESULTS: list[tuple[str, PassRate]] = []


def _current_test() -> str:
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    return current.rsplit(" ", 1)[0] if current else ""


def _label(case: Any) -> str:
    text = repr(case)
    return text if len(text) <= 80 else text[:77] + "..."


def measure_pass_rate(
    check: Callable[..., bool],
    cases: Iterable[Any],
    *,
    threshold: float,
    confidence: float = 0.95,
    samples: int = 1,
    name: str | None = None,
    concurrency: int | None = None,
) -> PassRate:
    """Run ``check(case)`` (or ``check(case, sample)`` when ``samples`` > 1) and return the pass rate.

    An exception from ``check`` propagates: infrastructure failures (a cassette miss, a server down) are
    errors of the test, not failures of the prompt.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be within [0, 1], got {threshold}")
    if samples < 1:
        raise ValueError("samples must be at least 1")
    items: Sequence[Any] = list(cases)
    if not items:
        raise ValueError("no cases: a pass rate over nothing proves nothing")
    takes_sample = samples > 1 or len(inspect.signature(check).parameters) >= 2

    def one(job: tuple[int, int]) -> bool:
        i, s = job
        outcome = check(items[i], s) if takes_sample else check(items[i])
        return bool(outcome)

    jobs = [(i, s) for i in range(len(items)) for s in range(samples)]
    workers = max(1, concurrency or DEFAULT_CONCURRENCY)
    if workers == 1:
        outcomes = [one(j) for j in jobs]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(one, jobs))
    per_case = tuple(tuple(outcomes[i * samples : (i + 1) * samples]) for i in range(len(items)))
    successes = sum(outcomes)
    result = PassRate(
        name=name or _current_test() or str(getattr(check, "__name__", "check")),
        successes=successes,
        n=len(outcomes),
        interval=wilson(successes, len(outcomes), confidence),
        threshold=threshold,
        per_case=per_case,
        case_labels=tuple(_label(c) for c in items),
    )
    with _results_lock:
        RESULTS.append((_current_test(), result))
    return result


def assert_pass_rate(
    check: Callable[..., bool],
    cases: Iterable[Any],
    *,
    threshold: float,
    confidence: float = 0.95,
    samples: int = 1,
    name: str | None = None,
    concurrency: int | None = None,
) -> PassRate:
    """Fail unless we are ``confidence`` sure the pass rate is at least ``threshold`` (Wilson interval).

    The failure message shows n, successes, the interval, the threshold and the first failing cases.
    """
    result = measure_pass_rate(
        check,
        cases,
        threshold=threshold,
        confidence=confidence,
        samples=samples,
        name=name,
        concurrency=concurrency,
    )
    if not result.passed:
        raise PassRateError(result)
    return result
