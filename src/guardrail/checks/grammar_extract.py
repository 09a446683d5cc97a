"""Deprecated: ``guardrail.checks.grammar_extract`` moved to ``guardrail.checks.grammar.extract``
(this path works for one more release)."""

import warnings

from .grammar.extract import (
    ExtractMode,
    Span,
    choose,
    fenced_blocks,
    line_spans,
    search,
    stripped,
)

__all__ = ["ExtractMode", "Span", "choose", "fenced_blocks", "line_spans", "search", "stripped"]

warnings.warn(
    "guardrail.checks.grammar_extract is deprecated; import from guardrail.checks.grammar.extract instead",
    DeprecationWarning,
    stacklevel=2,
)
