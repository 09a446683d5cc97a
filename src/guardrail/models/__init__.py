"""The model layer: the only code in guardrail that talks to a language model."""

from .accounting import CallRecord, Pricing, UsageMeter, UsageSummary
from .base import Model, Stream, as_request, chat
from .cache import Cached, CacheStats, CompletionCache
from .cassette import Cassette, Recorder, Replay
from .registry import SPEC_HELP, resolve_model
from .scripted import ScriptedModel
from .types import Completion, Message, Request, ToolCall, Usage

__all__ = [
    "SPEC_HELP",
    "CacheStats",
    "Cached",
    "CallRecord",
    "Cassette",
    "Completion",
    "CompletionCache",
    "Message",
    "Model",
    "Pricing",
    "Recorder",
    "Replay",
    "Request",
    "ScriptedModel",
    "Stream",
    "ToolCall",
    "Usage",
    "UsageMeter",
    "UsageSummary",
    "as_request",
    "chat",
    "resolve_model",
]


def __getattr__(name: str) -> object:
    # The heavy backends import lazily: llama_cpp is optional, and importing it costs time.
    if name == "LocalModel":
        from .local import LocalModel

        return LocalModel
    if name == "OpenAIModel":
        from .openai_model import OpenAIModel

        return OpenAIModel
    raise AttributeError(name)
