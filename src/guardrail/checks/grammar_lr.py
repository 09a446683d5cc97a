"""Deprecated: ``guardrail.checks.grammar_lr`` moved to ``guardrail.checks.grammar.lr``
(this path works for one more release)."""

import warnings

from .grammar.lr import (
    END,
    Action,
    LRDriver,
    Run,
    Stack,
    StateLexer,
    Terminal,
    compile_terminal,
)

__all__ = ["END", "Action", "LRDriver", "Run", "Stack", "StateLexer", "Terminal", "compile_terminal"]

warnings.warn(
    "guardrail.checks.grammar_lr is deprecated; import from guardrail.checks.grammar.lr instead",
    DeprecationWarning,
    stacklevel=2,
)
