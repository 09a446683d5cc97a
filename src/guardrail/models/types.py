"""The values that cross the model boundary: ``Request`` in, ``Completion`` out."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._text import quoted

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "aborted", "error"]


def finish_reason(reason: str | None, tool_calls: bool = False) -> FinishReason:
    """A backend's finish reason in our vocabulary; anything unrecognised counts as a normal stop."""
    if tool_calls or reason == "tool_calls":
        return "tool_calls"
    if reason == "length":
        return "length"
    if reason == "aborted":
        return "aborted"
    return "stop"


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    content: str


class Request(BaseModel):
    """Everything that determines a model's answer, and nothing else.

    Exactly one of ``prompt`` (text completion) or ``messages`` (chat) is set. ``sample`` is the index of
    this sample among several drawn for the same request: it changes the cache key, so the third sample at
    temperature 0.8 is its own cache entry, and it perturbs the seed so samples differ.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt: str | None = None
    messages: tuple[Message, ...] | None = None
    max_tokens: int = Field(default=256, ge=1)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    stop: tuple[str, ...] = ()
    seed: int | None = None
    sample: int = Field(default=0, ge=0)
    tools: tuple[dict[str, Any], ...] | None = None
    response_format: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Request:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("a Request needs exactly one of prompt= (text) or messages= (chat)")
        if self.tools is not None and self.messages is None:
            raise ValueError("tools= needs a chat request (messages=), not a text prompt")
        return self

    @property
    def is_chat(self) -> bool:
        return self.messages is not None

    def effective_seed(self) -> int | None:
        """The seed sent to the backend: the user's seed shifted by the sample index."""
        if self.seed is None:
            return None if self.sample == 0 else self.sample
        return self.seed + self.sample

    def canonical_json(self) -> str:
        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )

    def key(self, model_id: str) -> str:
        """A stable hash of the whole request and the model that answers it."""
        blob = json.dumps({"model": model_id, "request": json.loads(self.canonical_json())}, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def describe(self, width: int = 120) -> str:
        """A one-line human description, for error messages."""
        if self.prompt is not None:
            body = "prompt=" + quoted(self.prompt, width)
        else:
            assert self.messages is not None
            last = self.messages[-1]
            body = f"messages[{len(self.messages)}], last {last.role}=" + quoted(last.content, width)
        return (
            f"{body} (max_tokens={self.max_tokens}, temperature={self.temperature}, top_p={self.top_p}, "
            f"stop={list(self.stop)}, seed={self.seed}, sample={self.sample})"
        )


class Usage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class ToolCall(BaseModel):
    """A function call the model asked for, arguments as the raw JSON text it wrote."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = ""
    name: str
    arguments: str


class Completion(BaseModel):
    """What a model answered to one request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    finish_reason: FinishReason = "stop"
    usage: Usage = Usage()
    latency_s: float = 0.0
    model_id: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    cached: bool = False
