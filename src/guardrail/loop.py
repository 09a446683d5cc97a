"""Deprecated: the Guard lives in ``guardrail.guard`` (this path works for one more release)."""

import warnings

from .guard import (
    STRATEGIES,
    Attempt,
    Budget,
    Guard,
    GuardResult,
    ReAsk,
    Refine,
    Repair,
    Resample,
    Simplify,
    StopReason,
)

__all__ = [
    "STRATEGIES",
    "Attempt",
    "Budget",
    "Guard",
    "GuardResult",
    "ReAsk",
    "Refine",
    "Repair",
    "Resample",
    "Simplify",
    "StopReason",
]

warnings.warn(
    "guardrail.loop is deprecated; import from guardrail.guard (or guardrail) instead",
    DeprecationWarning,
    stacklevel=2,
)
