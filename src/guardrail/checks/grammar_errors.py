"""Deprecated: ``guardrail.checks.grammar_errors`` moved to ``guardrail.checks.grammar.errors``
(this path works for one more release)."""

import warnings

from .base import line_and_column
from .grammar.errors import (
    describe_expected,
    describe_terminal,
    found_text,
    lalr_syntax_error,
    syntax_error,
)

__all__ = [
    "describe_expected",
    "describe_terminal",
    "found_text",
    "lalr_syntax_error",
    "line_and_column",
    "syntax_error",
]

warnings.warn(
    "guardrail.checks.grammar_errors is deprecated; import from guardrail.checks.grammar.errors instead",
    DeprecationWarning,
    stacklevel=2,
)
