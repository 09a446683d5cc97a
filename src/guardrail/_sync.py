"""Sync facades over the async core.

All sync calls run on one background event loop owned by this module. Running every sync call on the same
loop matters: async clients (httpx inside the openai SDK) bind to the loop that first used them, so a fresh
``asyncio.run`` per call would break them on the second call.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

from .errors import ConfigurationError

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="guardrail-sync", daemon=True)
            thread.start()
            _loop = loop
        return _loop


def _refuse_inside_loop(what: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise ConfigurationError(
        f"{what} is the sync facade and was called from inside a running event loop; "
        "await the async method (the one with the 'a' prefix) instead"
    )


def run_sync(coro: Coroutine[Any, Any, T], what: str = "this call") -> T:
    """Run ``coro`` to completion on the background loop and return its result."""
    try:
        _refuse_inside_loop(what)
    except ConfigurationError:
        coro.close()
        raise
    future = asyncio.run_coroutine_threadsafe(coro, _background_loop())
    return future.result()


def iterate_sync(agen: AsyncIterator[T], what: str = "this stream") -> Iterator[T]:
    """Drive an async iterator from sync code, one item at a time, on the background loop."""
    _refuse_inside_loop(what)
    loop = _background_loop()
    sentinel = object()

    async def step() -> Any:
        try:
            return await agen.__anext__()
        except StopAsyncIteration:
            return sentinel

    try:
        while True:
            item = asyncio.run_coroutine_threadsafe(step(), loop).result()
            if item is sentinel:
                return
            yield item
    finally:
        aclose = getattr(agen, "aclose", None)
        if aclose is not None:
            asyncio.run_coroutine_threadsafe(aclose(), loop).result()
