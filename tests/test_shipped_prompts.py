"""Tests of the shipped prompt spaces (prompts/), written with guardrail's own pytest plugin.

They run in replay mode by default (pyproject: guardrail_mode = "replay") from tests/cassettes/, recorded
from the embedded model with `pytest tests/test_shipped_prompts.py --guardrail-mode=record`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from guardrail.search import PromptSpace
from guardrail.suites import load_suite
from guardrail.testing import assert_pass_rate

SUITES = Path(__file__).parents[1] / "prompts" / "suites" / "sst2"


def _sst2() -> tuple[PromptSpace, Any, Any]:
    space = PromptSpace.load("sst2")
    dev = load_suite(SUITES / "stsa.binary.dev", "sst2")
    train = load_suite(SUITES / "stsa.binary.train600", "sst2")
    return space, dev, train


def _candidate(space: PromptSpace, **names: str) -> Any:
    return next(c for c in space.candidates() if all(c.names.get(k) == v for k, v in names.items()))


def _accuracy_check(model: Any, space: PromptSpace, candidate: Any, suite: Any, train: Any) -> Any:
    scorer = suite.scorer.with_labels(candidate.labels) if candidate.labels else suite.scorer

    def correct(case: Any) -> bool:
        rendered = space.render(candidate, case, train.cases)
        return bool(scorer.score(model.complete(rendered.request).text, case).ok)

    return correct


def test_sst2_four_shot_great_terrible_is_accurate(guardrail_model: Any) -> None:
    space, dev, train = _sst2()
    best = _candidate(space, labels="great/terrible", k="4", format="review/sentiment", instruction="none")
    check = _accuracy_check(guardrail_model, space, best, dev, train)
    assert_pass_rate(check, dev.cases[:30], threshold=0.5)


def test_sst2_zero_shot_is_useless_on_a_base_model(guardrail_model: Any) -> None:
    space, dev, train = _sst2()
    zero = _candidate(space, labels="great/terrible", k="0", format="review/sentiment", instruction="none")
    check = _accuracy_check(guardrail_model, space, zero, dev, train)
    result = None
    try:
        assert_pass_rate(check, dev.cases[:30], threshold=0.5)
    except AssertionError as failure:
        result = failure
    assert result is not None, "a zero-shot prompt should not pass on a base model"
    assert "interval" in str(result)
