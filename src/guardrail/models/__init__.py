"""The model layer: the only code in guardrail that talks to a language model.

A ``Request`` goes in, a ``Completion`` comes out, async first with sync facades. ``resolve_model(spec)``
turns a spec (``local``, ``openai:NAME``, ``http://HOST/v1``, ``replay:FILE``) into a backend; ``Cached``,
``Recorder`` and ``Replay`` wrap any backend. ``LocalModel`` and ``OpenAIModel`` import lazily (llama_cpp
is optional and slow to import).
"""

from .accounting import CallRecord as CallRecord
from .accounting import Pricing, UsageMeter, UsageSummary
from .base import Model
from .base import Stream as Stream
from .base import as_request as as_request
from .base import chat as chat
from .cache import Cached, CompletionCache
from .cache import CacheStats as CacheStats
from .cassette import Cassette as Cassette
from .cassette import Recorder, Replay
from .registry import SPEC_HELP as SPEC_HELP
from .registry import resolve_model
from .scripted import ScriptedModel
from .types import Completion, Message, Request, ToolCall, Usage

# CallRecord, CacheStats, Cassette, Stream, SPEC_HELP, as_request and chat stay importable from here (older
# code does) but are not part of the advertised surface.
__all__ = [
    "Cached",
    "Completion",
    "CompletionCache",
    "LocalModel",
    "Message",
    "Model",
    "OpenAIModel",
    "Pricing",
    "Recorder",
    "Replay",
    "Request",
    "ScriptedModel",
    "ToolCall",
    "Usage",
    "UsageMeter",
    "UsageSummary",
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
