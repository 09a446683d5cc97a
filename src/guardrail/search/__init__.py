"""Prompt search: prompt spaces, strategies, splits, statistics, resumable studies and evaluations."""

import warnings
from typing import Any

from .evaluate import EvalResult, aevaluate_prompt, prompt_space_from_file
from .runner import Evaluator
from .shrinking import prompt_fails
from .space import Candidate, PromptSpace, Rendered, bake, select_examples
from .splits import Splits, SplitSpec, make_splits
from .stats import Interval, PairedComparison, mcnemar_p, paired_bootstrap, wilson
from .store import Outcome, StudyStore
from .strategies import Grid, Racing, RandomSearch, Selection, Strategy, SuccessiveHalving, make_strategy
from .study import CandidateResult, Study, StudyConfig, StudyResult

__all__ = [
    "Candidate",
    "CandidateResult",
    "EvalResult",
    "Evaluator",
    "Grid",
    "Interval",
    "Outcome",
    "PairedComparison",
    "PromptSpace",
    "Racing",
    "RandomSearch",
    "Rendered",
    "Selection",
    "SplitSpec",
    "Splits",
    "Strategy",
    "Study",
    "StudyConfig",
    "StudyResult",
    "StudyStore",
    "SuccessiveHalving",
    "aevaluate_prompt",
    "bake",
    "make_splits",
    "make_strategy",
    "mcnemar_p",
    "paired_bootstrap",
    "prompt_fails",
    "prompt_space_from_file",
    "select_examples",
    "wilson",
]


def __getattr__(name: str) -> Any:
    # Command functions moved to guardrail.cli; the old names work for one more release.
    if name in ("search_command", "eval_command"):
        warnings.warn(
            f"guardrail.search.{name} is deprecated; import it from guardrail.cli",
            DeprecationWarning,
            stacklevel=2,
        )
        from ..cli.evaluate import eval_command
        from ..cli.search import search_command

        return {"search_command": search_command, "eval_command": eval_command}[name]
    raise AttributeError(f"module 'guardrail.search' has no attribute {name!r}")
