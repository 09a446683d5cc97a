"""Turn a model spec string (as typed on the command line) into a ``Model``."""

from __future__ import annotations

from pathlib import Path

from ..errors import UnknownModelError
from .base import Model

SPEC_HELP = (
    "'local' (the embedded Gemma 3 270M), 'local:PATH.gguf', 'openai:NAME' (OpenAI, or OPENAI_BASE_URL), "
    "'http://HOST:PORT/v1' or 'http://HOST:PORT/v1#NAME' (any OpenAI-compatible server), "
    "'replay:CASSETTE.jsonl'"
)


def resolve_model(spec: str) -> Model:
    """``local`` | ``local:PATH`` | ``openai:NAME`` | ``http(s)://HOST/v1[#NAME]`` | ``replay:PATH``."""
    spec = spec.strip()
    if spec == "local" or spec.startswith("local:"):
        from .local import LocalModel

        path = spec.removeprefix("local").removeprefix(":") or None
        return LocalModel(Path(path) if path else None)
    if spec.startswith("openai:"):
        from .openai_model import OpenAIModel

        name = spec.removeprefix("openai:")
        if not name:
            raise UnknownModelError(
                f"'openai:' needs a model name, e.g. openai:gpt-4o-mini; accepted specs: {SPEC_HELP}",
                spec=spec,
            )
        return OpenAIModel(name)
    if spec.startswith(("http://", "https://")):
        from .openai_model import OpenAIModel

        url, _, name = spec.partition("#")
        return OpenAIModel(name or None, base_url=url)
    if spec.startswith("replay:"):
        from .cassette import Replay

        return Replay(spec.removeprefix("replay:"))
    raise UnknownModelError(f"unknown model {spec!r}; accepted specs: {SPEC_HELP}", spec=spec)
