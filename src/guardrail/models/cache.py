"""``Cached``: a SQLite cache in front of any model, keyed on the whole request."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from .._secrets import scrub
from ..errors import StoreError
from ..store import Database, default_cache_path, store_error
from .base import Model, StreamItem
from .types import Completion, Request

_SCHEMA = """
CREATE TABLE IF NOT EXISTS completions (
    key        TEXT PRIMARY KEY,
    model_id   TEXT NOT NULL,
    request    TEXT NOT NULL,
    completion TEXT NOT NULL,
    created    REAL NOT NULL
);
"""
#: A digest of each stored completion, checked when it is read back: SQLite keeps no checksums of row
#: contents, and a cache that returned a damaged answer would be silently wrong. (Added later: rows
#: written before it have none and are read unchecked.)
_DIGEST_COLUMN = "ALTER TABLE completions ADD COLUMN digest TEXT"


def _digest(key: str, completion_json: str) -> str:
    return hashlib.sha256(f"{key}\x00{completion_json}".encode()).hexdigest()[:16]


#: Only complete answers are cached: an aborted or failed generation is not what the request would return.
CACHEABLE = frozenset({"stop", "length", "tool_calls"})


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    writes: int

    @property
    def lookups(self) -> int:
        return self.hits + self.misses

    @property
    def hit_rate(self) -> float:
        return self.hits / self.lookups if self.lookups else 0.0


class CompletionCache:
    """The completions table. Safe across threads and processes (WAL, one transaction per write)."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.db = Database(path or default_cache_path(), _SCHEMA)
        self.path = self.db.path
        self._hits = self._misses = self._writes = 0
        self._lock = threading.Lock()
        if not self._has_digest():
            try:
                with self.db.connection() as conn:
                    conn.execute(_DIGEST_COLUMN)
            except StoreError:
                if not self._has_digest():  # else another process added it first
                    raise

    def _has_digest(self) -> bool:
        rows = self.db.connection().execute("PRAGMA table_info(completions)").fetchall()
        return "digest" in {row[1] for row in rows}

    def get(self, key: str) -> Completion | None:
        row = (
            self.db.connection()
            .execute("SELECT completion, digest FROM completions WHERE key = ?", (key,))
            .fetchone()
        )
        with self._lock:
            if row is None:
                self._misses += 1
                return None
            self._hits += 1
        text, digest = row
        try:
            if digest is not None and digest != _digest(key, text):
                raise ValueError("the stored answer does not match its digest")
            return Completion.model_validate_json(text)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise store_error(
                self.path,
                sqlite3.DatabaseError(
                    f"database disk image is malformed: a cached answer is damaged ({exc})"
                ),
            ) from None

    def put(self, key: str, request: Request, completion: Completion) -> None:
        if completion.finish_reason not in CACHEABLE:
            return
        stored = completion.model_copy(update={"cached": False})
        # Scrubbed here (not only by the store) so that the digest is of the text actually stored.
        text = scrub(stored.model_dump_json())
        conn = self.db.connection()
        with conn:
            conn.execute(
                "INSERT OR IGNORE INTO completions (key, model_id, request, completion, created, digest)"
                " VALUES (?,?,?,?,?,?)",
                (key, completion.model_id, request.canonical_json(), text, time.time(), _digest(key, text)),
            )
        with self._lock:
            self._writes += 1

    def __len__(self) -> int:
        row = self.db.connection().execute("SELECT COUNT(*) FROM completions").fetchone()
        return int(row[0])

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, self._writes)

    def close(self) -> None:
        self.db.close()


class Cached(Model):
    """Serves repeated requests from a ``CompletionCache``; only misses reach the wrapped model.

    Identical requests in flight at the same time are answered by one model call. The key covers the model
    id, every sampling parameter and the sample index.
    """

    def __init__(self, model: Model, cache: CompletionCache | str | os.PathLike[str] | None = None):
        super().__init__(pricing=model.meter.pricing)
        self.inner = model
        self.cache = cache if isinstance(cache, CompletionCache) else CompletionCache(cache)
        self._inflight: dict[str, asyncio.Future[Completion]] = {}

    @property
    def model_id(self) -> str:  # type: ignore[override]
        return self.inner.model_id

    @property
    def streams_natively(self) -> bool:  # type: ignore[override]
        return self.inner.streams_natively

    def stats(self) -> CacheStats:
        return self.cache.stats()

    async def _lookup(self, key: str) -> Completion | None:
        hit = await asyncio.to_thread(self.cache.get, key)
        return hit.model_copy(update={"cached": True, "latency_s": 0.0}) if hit else None

    async def aresolve(self) -> None:
        await self.inner.aresolve()

    async def asupports_tools(self) -> bool:
        return await self.inner.asupports_tools()

    async def _acomplete(self, request: Request) -> Completion:
        await self.inner.aresolve()
        key = request.key(self.model_id)
        pending = self._inflight.get(key)
        if pending is not None:
            shared = await asyncio.shield(pending)
            return shared.model_copy(update={"cached": True, "latency_s": 0.0})
        # Register before the first await, so a twin arriving meanwhile waits for this call.
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            completion = await self._lookup(key)
            if completion is None:
                completion = await self.inner.acomplete(request)
                await asyncio.to_thread(self.cache.put, key, request, completion)
            future.set_result(completion)
            return completion
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it, nobody else should warn
            raise
        finally:
            if self._inflight.get(key) is future:
                del self._inflight[key]

    async def _astream(self, request: Request) -> AsyncGenerator[StreamItem, None]:
        await self.inner.aresolve()
        key = request.key(self.model_id)
        hit = await self._lookup(key)
        if hit is not None:
            if hit.text:
                yield hit.text
            yield hit
            return
        stream = self.inner.astream(request)
        try:
            async for delta in stream:
                yield delta
        finally:
            await stream.aclose()  # no-op when it finished; aborts the backend when we were closed early
        completion = stream.completion
        assert completion is not None
        await asyncio.to_thread(self.cache.put, key, request, completion)
        yield completion

    async def aclose(self) -> None:
        await self.inner.aclose()
        self.cache.close()
