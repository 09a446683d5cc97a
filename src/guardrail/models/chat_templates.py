"""Chat templates for GGUF files that carry none, chosen from the file's metadata.

A GGUF file normally brings its chat template (``tokenizer.chat_template``) and llama-cpp-python applies
it. Base models often ship without one, and llama-cpp-python then falls back to a llama-2 format that means
nothing to other families (the embedded Gemma 3 270M answered ``''`` to every chat request). For such files
the family's documented turn format is used instead, selected by ``general.architecture``.

Gemma (https://ai.google.dev/gemma/docs/core/prompt-structure): turns are
``<start_of_turn>user\\n...<end_of_turn>\\n`` and ``<start_of_turn>model\\n...<end_of_turn>\\n``; the prompt
ends with an open model turn. Gemma has no system role: a system message goes at the start of the first
user turn, followed by a blank line, as Gemma 3's own template does (llama-cpp-python's "gemma" format
drops it instead, which is why it is not used here). Gemma has no tool role either: an assistant's tool calls
are written into its turn as JSON and a tool result becomes a user turn that names the call it answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

from .types import Message

ChatRenderer = Callable[[Sequence[Message]], str]


def render_gemma(messages: Sequence[Message]) -> str:
    """``messages`` in Gemma's turn format, ending with an open model turn."""
    system = "\n\n".join(m.content or "" for m in messages if m.role == "system")
    turns: list[str] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "assistant":
            body = message.content or ""
            if message.tool_calls:
                calls = [{"name": c.name, "arguments": _arguments(c.arguments)} for c in message.tool_calls]
                body = (body + "\n" if body else "") + json.dumps(calls, ensure_ascii=False)
            turns.append(f"<start_of_turn>model\n{body}<end_of_turn>\n")
            continue
        body = message.content or ""
        if message.role == "tool":
            body = f"Result of tool call {message.tool_call_id}:\n{body}"
        if system:
            body, system = f"{system}\n\n{body}", ""
        turns.append(f"<start_of_turn>user\n{body}<end_of_turn>\n")
    if system:  # only a system message: it still reaches the model
        turns.append(f"<start_of_turn>user\n{system}<end_of_turn>\n")
    return "".join(turns) + "<start_of_turn>model\n"


def _arguments(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text


#: Chat formats by GGUF ``general.architecture``, for files without a chat template.
BY_ARCHITECTURE: dict[str, tuple[str, ChatRenderer]] = {
    "gemma": ("gemma", render_gemma),
    "gemma2": ("gemma", render_gemma),
    "gemma3": ("gemma", render_gemma),
}


def template_for(metadata: Mapping[str, str]) -> tuple[str, ChatRenderer] | None:
    """The (name, renderer) to use for a GGUF with this metadata; None when the file brings its own
    template (llama-cpp-python applies it) or its family is unknown here."""
    if metadata.get("tokenizer.chat_template"):
        return None
    return BY_ARCHITECTURE.get(metadata.get("general.architecture", ""))
