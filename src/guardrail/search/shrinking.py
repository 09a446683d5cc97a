"""The smallest input a prompt fails on: a ``fails`` predicate for ``GeneratedSuite.shrink``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..models.base import Model
from ..suites.case import Case
from ..suites.scorers import Scorer
from .space import Candidate, PromptSpace


def prompt_fails(
    model: Model, space: PromptSpace, candidate: Candidate, scorer: Scorer, train: Sequence[Case] = ()
) -> Callable[[Case], bool]:
    """True for a case when the candidate's answer to it is rejected by the scorer's check."""
    bound = scorer.with_labels(candidate.labels) if candidate.labels else scorer

    def fails(case: Case) -> bool:
        completion = model.complete(space.render(candidate, case, train).request)
        return not bound.score(completion.text, case).ok

    return fails
