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


class ToolCall(BaseModel):
    """A function call the model asked for, arguments as the raw JSON text it wrote."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = ""
    name: str
    arguments: str

    def openai(self) -> dict[str, Any]:
        """This call in the OpenAI wire format (an entry of an assistant message's ``tool_calls``)."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


class Message(BaseModel):
    """One chat message.

    An assistant message may carry ``tool_calls`` (and then needs no ``content``); a ``tool`` message
    answers one of them and names it in ``tool_call_id``. Whether a conversation's tool messages answer
    calls that were made is the checks' business (``ToolCalls`` judges a transcript), not a type error.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> Message:
        if self.tool_calls and self.role != "assistant":
            raise ValueError(f"only an assistant message can carry tool_calls, not a {self.role} message")
        if self.tool_call_id is not None and self.role != "tool":
            raise ValueError("tool_call_id= belongs on a tool message (role='tool')")
        if self.role == "tool" and self.tool_call_id is None:
            raise ValueError("a tool message needs tool_call_id=, the id of the call it answers")
        if self.content is None and not (self.role == "assistant" and self.tool_calls):
            raise ValueError(
                f"a {self.role} message needs content= (only an assistant's tool calls may stand alone)"
            )
        return self

    def openai(self) -> dict[str, Any]:
        """This message in the OpenAI chat wire format."""
        # An assistant's bare tool calls go out with content "": OpenAI also takes null or no content, but
        # llama-cpp-python's server refuses null and its function-calling template needs the key.
        out: dict[str, Any] = {"role": self.role, "content": self.content or ""}
        if self.tool_calls:
            out["tool_calls"] = [c.openai() for c in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        return out


_ABSENT = object()

#: Fields added after cache keys were first computed: left out of a key while at their default, so that a
#: request written before they existed keeps its key (and its cache entries and cassette lines).
_KEY_NEW_FIELDS: dict[str, dict[str, Any]] = {
    "request": {"tool_choice": None},
    "message": {"tool_calls": [], "tool_call_id": None},
}


def _key_form(request: dict[str, Any]) -> dict[str, Any]:
    """``request`` (dumped as JSON) without new fields that hold their defaults."""
    out = {k: v for k, v in request.items() if _KEY_NEW_FIELDS["request"].get(k, _ABSENT) != v}
    if out.get("messages") is not None:
        fields = _KEY_NEW_FIELDS["message"]
        out["messages"] = [
            {k: v for k, v in m.items() if fields.get(k, _ABSENT) != v} for m in out["messages"]
        ]
    return out


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
    #: OpenAI's ``tool_choice``: "auto", "none", "required", or {"type": "function", "function": {...}}.
    #: Sent only with ``tools`` (a prompt may set it before a Guard adds the tools).
    tool_choice: str | dict[str, Any] | None = None
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
        """The request as compact, sorted JSON: what keys are computed from (see ``_KEY_NEW_FIELDS``)."""
        return json.dumps(
            _key_form(self.model_dump(mode="json")), sort_keys=True, ensure_ascii=False, separators=(",", ":")
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
            shown = last.content if last.content is not None else f"{len(last.tool_calls)} tool call(s)"
            body = f"messages[{len(self.messages)}], last {last.role}=" + quoted(shown, width)
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
