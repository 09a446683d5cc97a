"""A scripted model for fast, deterministic unit tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Sequence

from .base import Model, StreamItem
from .types import Completion, Request, Usage

Answer = str | Completion
Script = Sequence[Answer] | Callable[[Request], Answer]


class ScriptedModel(Model):
    """Answers from a script: a list of outputs served in order, or a function of the request.

    An output is text, or a ``Completion`` (e.g. one with ``tool_calls``, as a chat model answers with
    native tool calls). Streams its answers in chunks of ``chunk`` characters, so stream checks can be
    tested. Every request it saw is kept in ``requests``. Token counts are whitespace-split word counts, good
    enough for tests. ``tools=False`` makes it a model without tool support (``asupports_tools``).
    """

    streams_natively = True

    def __init__(
        self,
        script: Script,
        *,
        model_id: str = "scripted",
        chunk: int = 4,
        delay_s: float = 0.0,
        tools: bool = True,
    ):
        super().__init__()
        self.tools = tools
        self.model_id = model_id
        self._script = script
        self._next = 0
        self.chunk = max(1, chunk)
        self.delay_s = delay_s
        self.requests: list[Request] = []
        #: Characters actually produced (an aborted stream produces fewer); lets tests see early aborts.
        self.chars_generated = 0

    async def asupports_tools(self) -> bool:
        return self.tools

    def _answer(self, request: Request) -> Completion:
        self.requests.append(request)
        answer = self._scripted(request)
        if isinstance(answer, Completion):
            return answer.model_copy(
                update={"text": _apply_stop(answer.text, request.stop), "model_id": self.model_id}
            )
        text = _apply_stop(answer, request.stop)
        return Completion(text=text, usage=_usage(request, text), model_id=self.model_id)

    def _scripted(self, request: Request) -> Answer:
        if callable(self._script):
            return self._script(request)
        if self._next >= len(self._script):
            raise IndexError(
                f"ScriptedModel ran out of outputs after {len(self._script)} calls; "
                f"the extra request was {request.describe()}"
            )
        text = self._script[self._next]
        self._next += 1
        return text

    async def _acomplete(self, request: Request) -> Completion:
        completion = self._answer(request)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        self.chars_generated += len(completion.text)
        return completion

    async def _astream(self, request: Request) -> AsyncGenerator[StreamItem, None]:
        completion = self._answer(request)
        text = completion.text
        for i in range(0, len(text), self.chunk):
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            piece = text[i : i + self.chunk]
            self.chars_generated += len(piece)
            yield piece
        yield completion


def _apply_stop(text: str, stop: tuple[str, ...]) -> str:
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return text if cut < 0 else text[:cut]


def _usage(request: Request, text: str) -> Usage:
    prompt = (
        request.prompt
        if request.prompt is not None
        else " ".join(m.content or "" for m in request.messages or ())
    )
    return Usage(prompt_tokens=len(prompt.split()), completion_tokens=len(text.split()))
