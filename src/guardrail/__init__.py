"""guardrail: verified LLM outputs and disciplined prompt engineering.

A language model is an untrusted generator; nothing it writes is used until a checker accepts it.
"""

from .errors import GuardrailError
from .models import Cached, Completion, Model, Recorder, Replay, Request, ScriptedModel, resolve_model

__version__ = "0.1.0"

__all__ = [
    "Cached",
    "Completion",
    "GuardrailError",
    "Model",
    "Recorder",
    "Replay",
    "Request",
    "ScriptedModel",
    "__version__",
    "resolve_model",
]
