"""Checks: the only way a model's output gets used is through a ``Verdict`` that accepts it.

Every error a shipped check reports carries a stable code (``grammar.unexpected_token``,
``schema.int_parsing``, ``json.non_finite``, ...): the table is in ``guardrail.checks.codes``.
"""

from .answers import Compare, ExactAnswer, LabelAnswer, NormalizedAnswer, NumericAnswer, RegexAnswer
from .automaton import Automaton
from .base import Check, ErrorDetail, Pipeline, Verdict
from .code import PassesTests
from .grammar import Grammar
from .json_schema import JSONSchema
from .predicate import Converter, Predicate
from .racket import Racket, RacketTests
from .schema import Schema, Tool, ToolCalls, ValidatedCall

__all__ = [
    "Automaton",
    "Check",
    "Compare",
    "Converter",
    "ErrorDetail",
    "ExactAnswer",
    "Grammar",
    "JSONSchema",
    "LabelAnswer",
    "NormalizedAnswer",
    "NumericAnswer",
    "PassesTests",
    "Pipeline",
    "Predicate",
    "Racket",
    "RacketTests",
    "RegexAnswer",
    "Schema",
    "Tool",
    "ToolCalls",
    "ValidatedCall",
    "Verdict",
]
