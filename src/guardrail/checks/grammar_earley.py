"""Deprecated: ``guardrail.checks.grammar_earley`` moved to ``guardrail.checks.grammar.earley``
(this path works for one more release)."""

import warnings

from .grammar.earley import (
    Outcome,
    Parsed,
    ParseFailure,
    TimedOut,
    TooDeep,
    parse_bounded,
    parse_here,
)

__all__ = ["Outcome", "ParseFailure", "Parsed", "TimedOut", "TooDeep", "parse_bounded", "parse_here"]

warnings.warn(
    "guardrail.checks.grammar_earley is deprecated; import from guardrail.checks.grammar.earley instead",
    DeprecationWarning,
    stacklevel=2,
)
