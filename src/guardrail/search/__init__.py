"""Prompt search: strategies, splits, statistics, resumable execution and studies."""

from .commands import eval_command, search_command
from .progress import Counters, SearchProgress
from .runner import Evaluator
from .simulate import REALISTIC_ACCURACIES, MatrixSource, simulate_outcomes
from .splits import Splits, SplitSpec, TestRead, make_splits
from .stats import (
    Interval,
    PairedComparison,
    PairedCounts,
    mcnemar_p,
    paired_bootstrap,
    paired_upper_bound,
    separation_warning,
    wilson,
)
from .store import Outcome, StudyStore
from .strategies import (
    Elimination,
    Grid,
    OutcomeSource,
    Racing,
    RandomSearch,
    Selection,
    Strategy,
    SuccessiveHalving,
    make_strategy,
    schedule,
    sign_test_worse,
)
from .study import CandidateResult, Study, StudyConfig, StudyResult

__all__ = [
    "REALISTIC_ACCURACIES",
    "CandidateResult",
    "Counters",
    "Elimination",
    "Evaluator",
    "Grid",
    "Interval",
    "MatrixSource",
    "Outcome",
    "OutcomeSource",
    "PairedComparison",
    "PairedCounts",
    "Racing",
    "RandomSearch",
    "SearchProgress",
    "Selection",
    "SplitSpec",
    "Splits",
    "Strategy",
    "Study",
    "StudyConfig",
    "StudyResult",
    "StudyStore",
    "SuccessiveHalving",
    "TestRead",
    "eval_command",
    "make_splits",
    "make_strategy",
    "mcnemar_p",
    "paired_bootstrap",
    "paired_upper_bound",
    "schedule",
    "search_command",
    "separation_warning",
    "sign_test_worse",
    "simulate_outcomes",
    "wilson",
]
