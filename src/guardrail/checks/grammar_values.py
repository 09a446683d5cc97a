"""Deprecated: ``guardrail.checks.grammar_values`` moved to ``guardrail.checks.grammar.values``
(this path works for one more release)."""

import warnings

from .grammar.values import (
    SHIPPED_VALUES,
    ChoiceValue,
    JsonValue,
    NumberValue,
    ToolCallValue,
    YesNoValue,
)

__all__ = ["SHIPPED_VALUES", "ChoiceValue", "JsonValue", "NumberValue", "ToolCallValue", "YesNoValue"]

warnings.warn(
    "guardrail.checks.grammar_values is deprecated; import from guardrail.checks.grammar.values instead",
    DeprecationWarning,
    stacklevel=2,
)
