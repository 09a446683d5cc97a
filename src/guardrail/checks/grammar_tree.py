"""Deprecated: ``guardrail.checks.grammar_tree`` moved to ``guardrail.checks.grammar.tree``
(this path works for one more release)."""

import warnings

from .grammar.tree import (
    start_of,
    subtree_deeper_than,
)

__all__ = ["start_of", "subtree_deeper_than"]

warnings.warn(
    "guardrail.checks.grammar_tree is deprecated; import from guardrail.checks.grammar.tree instead",
    DeprecationWarning,
    stacklevel=2,
)
