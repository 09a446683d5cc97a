"""guardrail: verified LLM outputs and disciplined prompt engineering.

A language model is an untrusted generator; nothing it writes is used until a checker accepts it.

The root exports one name per concept; everything else lives in its package (``guardrail.models``,
``guardrail.checks``, ``guardrail.suites``, ``guardrail.search``, ``guardrail.invariants``,
``guardrail.chains``, ...). The suite and search names load on first use, so ``import guardrail`` stays
quick for code that only guards outputs.
"""

from typing import TYPE_CHECKING, Any

from .checks import Automaton, Check, Grammar, JSONSchema, Predicate, Schema, ToolCalls, Verdict
from .errors import GuardrailError
from .guard import Budget, Guard
from .models import (
    Cached,
    Completion,
    Message,
    Model,
    Recorder,
    Replay,
    Request,
    ScriptedModel,
    resolve_model,
)
from .prompt import Prompt

if TYPE_CHECKING:
    from .search import Study
    from .suites import Case, Suite

__version__ = "0.1.0"

__all__ = [
    "Automaton",
    "Budget",
    "Cached",
    "Case",
    "Check",
    "Completion",
    "Grammar",
    "Guard",
    "GuardrailError",
    "JSONSchema",
    "Message",
    "Model",
    "Predicate",
    "Prompt",
    "Recorder",
    "Replay",
    "Request",
    "Schema",
    "ScriptedModel",
    "Study",
    "Suite",
    "ToolCalls",
    "Verdict",
    "__version__",
    "resolve_model",
]

_LAZY = {"Case": "suites", "Suite": "suites", "Study": "search"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'guardrail' has no attribute {name!r}")
