"""Deprecated: ``guardrail.checks.grammar_prefix`` moved to ``guardrail.checks.grammar.prefix``
(this path works for one more release)."""

import warnings

from .grammar.prefix import (
    LONE_SURROGATE,
    PrefixChecker,
)

__all__ = ["LONE_SURROGATE", "PrefixChecker"]

warnings.warn(
    "guardrail.checks.grammar_prefix is deprecated; import from guardrail.checks.grammar.prefix instead",
    DeprecationWarning,
    stacklevel=2,
)
