"""Checks: the only way a model's output gets used is through a ``Verdict`` that accepts it."""

from .automaton import Automaton
from .base import DEFAULT_MAX_CHARS, Check, ErrorDetail, Pipeline, Verdict
from .grammar import Grammar
from .json_schema import JSONSchema
from .predicate import Converter, Predicate
from .schema import Schema, Tool, ToolCalls, ValidatedCall

__all__ = [
    "DEFAULT_MAX_CHARS",
    "Automaton",
    "Check",
    "Converter",
    "ErrorDetail",
    "Grammar",
    "JSONSchema",
    "Pipeline",
    "Predicate",
    "Schema",
    "Tool",
    "ToolCalls",
    "ValidatedCall",
    "Verdict",
]
