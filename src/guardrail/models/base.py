"""The one interface every backend implements.

Backends implement ``_acomplete`` and/or ``_astream``; the public methods add accounting and the sync
facades. ``_astream`` yields text deltas and ends by yielding the final ``Completion``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any

from .._sync import iterate_sync, run_sync
from .accounting import FREE, Pricing, UsageMeter
from .types import Completion, Message, Request, Usage

StreamItem = str | Completion


def as_request(request: Request | str, **params: Any) -> Request:
    """Accept a ready ``Request``, or a prompt string plus request fields."""
    if isinstance(request, Request):
        return request.model_copy(update=params) if params else request
    return Request(prompt=request, **params)


def chat(*pairs: tuple[str, str], **params: Any) -> Request:
    """``chat(("system", "..."), ("user", "..."), max_tokens=32)`` → a chat ``Request``."""
    return Request(messages=tuple(Message(role=r, content=c) for r, c in pairs), **params)


class Stream:
    """An async iterator of text deltas for one request.

    After the iterator is exhausted, ``completion`` holds the full ``Completion``. Calling ``aclose()``
    early aborts generation (the backend stops producing tokens) and leaves a completion whose
    ``finish_reason`` is ``"aborted"``.
    """

    def __init__(self, model: Model, request: Request, source: AsyncGenerator[StreamItem, None]):
        self.model = model
        self.request = request
        self._source = source
        self._parts: list[str] = []
        self._started = time.perf_counter()
        self.completion: Completion | None = None

    @property
    def text(self) -> str:
        """Everything received so far."""
        return "".join(self._parts)

    def __aiter__(self) -> AsyncIterator[str]:
        return self

    async def __anext__(self) -> str:
        if self.completion is not None:
            raise StopAsyncIteration
        while True:
            try:
                item = await self._source.__anext__()
            except StopAsyncIteration:
                # A backend that ends without a Completion still gets an honest record.
                self._finish(self._make_completion("stop"))
                raise
            if isinstance(item, Completion):
                self._finish(item)
                raise StopAsyncIteration
            if item:
                self._parts.append(item)
                return item

    async def aclose(self) -> None:
        """Abort the stream if it is still running."""
        if self.completion is None:
            await self._source.aclose()
            self._finish(self._make_completion("aborted"))

    async def collect(self) -> Completion:
        async for _ in self:
            pass
        assert self.completion is not None
        return self.completion

    def _make_completion(self, reason: Any) -> Completion:
        return Completion(
            text=self.text,
            finish_reason=reason,
            usage=Usage(completion_tokens=len(self._parts)),
            latency_s=time.perf_counter() - self._started,
            model_id=self.model.model_id,
        )

    def _finish(self, completion: Completion) -> None:
        self.completion = completion
        self.model.meter.record(completion)

    async def __aenter__(self) -> Stream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Model:
    """A language model: the only thing in guardrail that talks to an LLM."""

    model_id: str = "model"
    #: True when ``_astream`` delivers text before the whole answer is ready.
    streams_natively: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls._acomplete is Model._acomplete and cls._astream is Model._astream:
            raise TypeError(f"{cls.__name__} must implement _acomplete or _astream")

    def __init__(self, pricing: Pricing = FREE) -> None:
        self.meter = UsageMeter(pricing=pricing)

    # --- backends override one or both -------------------------------------------------------------
    async def _acomplete(self, request: Request) -> Completion:
        parts: list[str] = []
        final: Completion | None = None
        async for item in self._astream(request):
            if isinstance(item, Completion):
                final = item
            else:
                parts.append(item)
        if final is None:
            final = Completion(text="".join(parts), model_id=self.model_id)
        return final

    async def _astream(self, request: Request) -> AsyncGenerator[StreamItem, None]:
        completion = await self._acomplete(request)
        if completion.text:
            yield completion.text
        yield completion

    # --- public async API ---------------------------------------------------------------------------
    async def acomplete(self, request: Request | str, **params: Any) -> Completion:
        """Answer one request."""
        completion = await self._acomplete(as_request(request, **params))
        self.meter.record(completion)
        return completion

    def astream(self, request: Request | str, **params: Any) -> Stream:
        """Stream one request as text deltas; see ``Stream``."""
        req = as_request(request, **params)
        return Stream(self, req, self._astream(req))

    async def aresolve(self) -> None:
        """Settle ``model_id`` before it is used as a key (e.g. ask a server which model it serves)."""

    async def asupports_tools(self) -> bool:
        """Whether requests may carry ``tools=`` (native tool calls). A Guard asks before it sends tools and
        falls back to JSON text for a model that says no."""
        return True

    async def aclose(self) -> None:
        """Release resources (connections, loaded weights)."""

    # --- sync facades -------------------------------------------------------------------------------
    def complete(self, request: Request | str, **params: Any) -> Completion:
        return run_sync(self.acomplete(request, **params), "Model.complete")

    def stream(self, request: Request | str, **params: Any) -> Iterator[str]:
        return iterate_sync(self.astream(request, **params), "Model.stream")

    def close(self) -> None:
        run_sync(self.aclose(), "Model.close")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_id!r})"
