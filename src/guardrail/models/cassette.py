"""Record/replay: request → completion pairs in a JSONL cassette.

One line per call, keys sorted, so cassettes read well and diff well. Keys are recomputed from the stored
request when loading, so a hand-edited request still matches. A line is appended only once its call has
completed, in one write under a file lock: a killed run leaves at most an unterminated last line, which
loading skips with a warning and the next recording cuts off.
"""

from __future__ import annotations

import difflib
import fcntl
import json
import os
import warnings
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from .._secrets import scrub
from ..errors import CassetteError, CassetteMiss
from .base import Model, StreamItem
from .cache import CACHEABLE
from .types import Completion, Request

#: A cassette also keeps streams the consumer cut short (finish_reason "aborted"): replaying them lets the
#: same checks cut them at the same place. They can be replayed only as far as they were recorded.
RECORDABLE = CACHEABLE | {"aborted"}


@dataclass(frozen=True)
class Entry:
    model_id: str
    request: Request
    completion: Completion
    line: int


class Cassette:
    """A JSONL file of recorded calls."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.entries: dict[str, Entry] = {}
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        torn_tail = not raw.endswith(b"\n") and lines[-1] != b""
        for number, blob in enumerate(lines, start=1):
            if not blob.strip():
                continue
            is_tail = torn_tail and number == len(lines)
            try:
                entry = self._parse(blob, number)
            except CassetteError:
                if is_tail:
                    warnings.warn(
                        f"{self.path}:{number}: ignoring an incomplete last line (an interrupted recording)",
                        stacklevel=3,
                    )
                    continue
                raise
            self._keep(entry.request.key(entry.model_id), entry)

    def _parse(self, blob: bytes, number: int) -> Entry:
        where = f"{self.path}:{number}"
        try:
            data = json.loads(blob)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CassetteError(
                f"{where}: not valid JSON ({exc}); fix or delete that line, or re-record",
                path=self.path,
                line=number,
            ) from None
        if not isinstance(data, dict) or not {"model_id", "request", "completion"} <= data.keys():
            raise CassetteError(
                f"{where}: expected an object with model_id, request and completion; fix or delete that line",
                path=self.path,
                line=number,
            )
        try:
            part = "request"
            request = Request.model_validate(data["request"])
            part = "completion"
            completion = Completion.model_validate(data["completion"])
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join([part, *(str(p) for p in first["loc"])])
            raise CassetteError(
                f"{where}: invalid {loc}: {first['msg']}; fix or delete that line",
                path=self.path,
                line=number,
            ) from None
        return Entry(model_id=str(data["model_id"]), request=request, completion=completion, line=number)

    def model_ids(self) -> set[str]:
        return {e.model_id for e in self.entries.values()}

    def find(self, model_id: str, request: Request) -> Entry | None:
        return self.entries.get(request.key(model_id))

    def append(self, model_id: str, request: Request, completion: Completion) -> None:
        if completion.finish_reason not in RECORDABLE:
            return
        # Timings vary run to run; leaving them out keeps re-recorded cassettes diff-clean.
        stored = completion.model_copy(update={"cached": False, "latency_s": 0.0})
        line = scrub(
            json.dumps(
                {
                    "model_id": model_id,
                    "request": request.model_dump(mode="json", exclude_defaults=True),
                    "completion": stored.model_dump(mode="json"),
                },
                sort_keys=True,
                ensure_ascii=False,
            )
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _cut_torn_tail(fd)
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        self._keep(request.key(model_id), Entry(model_id, request, stored, line=-1))

    def _keep(self, key: str, entry: Entry) -> None:
        # The first complete recording wins; a complete one supersedes a cut-short one.
        old = self.entries.get(key)
        if old is None or (
            old.completion.finish_reason == "aborted" and entry.completion.finish_reason != "aborted"
        ):
            self.entries[key] = entry

    def explain_miss(self, model_id: str, request: Request) -> str:
        lines = [
            f"cassette {self.path} has no recording for model {model_id!r} and request {request.describe()}."
        ]
        ids = self.model_ids()
        if ids and model_id not in ids:
            lines.append(f"It holds recordings for: {', '.join(sorted(ids))}.")
        nearest = self._nearest(model_id, request)
        if nearest is not None:
            diff = _differing_fields(nearest.request, request)
            lines.append(
                f"Nearest recording (line {nearest.line}) differs in: {', '.join(diff) or 'model id'}."
            )
        lines.append(
            "Record it: run with mode 'record' (e.g. --guardrail-mode=record) and a model that can answer."
        )
        return " ".join(lines)

    def _nearest(self, model_id: str, request: Request) -> Entry | None:
        target = request.canonical_json()
        candidates = [e for e in self.entries.values() if e.model_id == model_id] or list(
            self.entries.values()
        )
        best: tuple[float, Entry] | None = None
        for entry in candidates[:500]:
            score = difflib.SequenceMatcher(None, entry.request.canonical_json(), target).quick_ratio()
            if best is None or score > best[0]:
                best = (score, entry)
        return best[1] if best else None


def _cut_torn_tail(fd: int) -> None:
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0:
        return
    os.lseek(fd, size - 1, os.SEEK_SET)
    if os.read(fd, 1) == b"\n":
        return
    # Find the start of the unterminated line and drop it.
    pos = size
    chunk = 4096
    while pos > 0:
        start = max(0, pos - chunk)
        os.lseek(fd, start, os.SEEK_SET)
        data = os.read(fd, pos - start)
        idx = data.rfind(b"\n")
        if idx >= 0:
            os.ftruncate(fd, start + idx + 1)
            return
        pos = start
    os.ftruncate(fd, 0)


def _differing_fields(a: Request, b: Request) -> list[str]:
    da, db = a.model_dump(), b.model_dump()
    return [k for k in da if da[k] != db.get(k)]


def _chunks(text: str, size: int = 16) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


class Replay(Model):
    """Answers only from a cassette; a request it lacks raises ``CassetteMiss`` naming that request.

    ``model_id`` defaults to the single model the cassette holds (it must then hold exactly one).
    """

    #: Replays stream, so a Guard checks prefixes and cuts streams exactly as it did while recording.
    streams_natively = True

    def __init__(self, path: str | os.PathLike[str], model_id: str | None = None):
        super().__init__()
        self.cassette = Cassette(path)
        if not self.cassette.path.exists():
            raise CassetteError(
                f"cassette {self.cassette.path} does not exist; "
                "record it first (mode 'record') or fix the path",
                path=self.cassette.path,
            )
        if model_id is None:
            ids = self.cassette.model_ids()
            if len(ids) > 1:
                raise CassetteError(
                    f"cassette {self.cassette.path} holds several models ({', '.join(sorted(ids))}); "
                    "pass model_id= to choose one",
                    path=self.cassette.path,
                )
            model_id = next(iter(ids), "replay")
        self.model_id = model_id

    def _entry(self, request: Request) -> Entry:
        entry = self.cassette.find(self.model_id, request)
        if entry is None:
            raise CassetteMiss(
                self.cassette.explain_miss(self.model_id, request),
                request=request,
                model_id=self.model_id,
                path=self.cassette.path,
            )
        return entry

    async def _acomplete(self, request: Request) -> Completion:
        return _replayed_completion(self.cassette, self._entry(request))

    async def _astream(self, request: Request) -> AsyncGenerator[StreamItem, None]:
        async for item in _replayed_stream(self.cassette, self._entry(request)):
            yield item


def _cut_short(cassette: Cassette, entry: Entry) -> CassetteMiss:
    return CassetteMiss(
        f"{cassette.path}:{entry.line}: the recorded stream for {entry.request.describe()} was cut short "
        f"after {len(entry.completion.text)} characters when it was recorded, and this run reads further; "
        "re-record it (mode 'record') after deleting that line"
    )


def _replayed_completion(cassette: Cassette, entry: Entry) -> Completion:
    if entry.completion.finish_reason == "aborted":
        raise _cut_short(cassette, entry)
    return entry.completion.model_copy(update={"cached": True, "latency_s": 0.0})


async def _replayed_stream(cassette: Cassette, entry: Entry) -> AsyncGenerator[StreamItem, None]:
    for piece in _chunks(entry.completion.text):
        yield piece
    yield _replayed_completion(cassette, entry)


class Recorder(Model):
    """Passes calls to ``model`` and appends each call to the cassette once it has ended (completed, or a
    stream cut short by its consumer; failed calls are not recorded).

    Requests already on the cassette are served from it (so re-recording adds only what is new).
    """

    def __init__(self, model: Model, path: str | os.PathLike[str]):
        super().__init__(pricing=model.meter.pricing)
        self.inner = model
        self.cassette = Cassette(path)

    @property
    def model_id(self) -> str:  # type: ignore[override]
        return self.inner.model_id

    @property
    def streams_natively(self) -> bool:  # type: ignore[override]
        return self.inner.streams_natively

    async def aresolve(self) -> None:
        await self.inner.aresolve()

    async def asupports_tools(self) -> bool:
        return await self.inner.asupports_tools()

    async def _acomplete(self, request: Request) -> Completion:
        await self.inner.aresolve()
        entry = self.cassette.find(self.model_id, request)
        if entry is not None and entry.completion.finish_reason != "aborted":
            return _replayed_completion(self.cassette, entry)
        completion = await self.inner.acomplete(request)
        self.cassette.append(self.model_id, request, completion)
        return completion

    async def _astream(self, request: Request) -> AsyncGenerator[StreamItem, None]:
        await self.inner.aresolve()
        entry = self.cassette.find(self.model_id, request)
        if entry is not None and entry.completion.finish_reason != "aborted":
            async for item in _replayed_stream(self.cassette, entry):
                yield item
            return
        stream = self.inner.astream(request)
        try:
            async for delta in stream:
                yield delta
        finally:
            # Runs on early close too: the cut-short stream is recorded as such.
            await stream.aclose()
            if stream.completion is not None:
                self.cassette.append(self.model_id, request, stream.completion)
        assert stream.completion is not None
        yield stream.completion

    async def aclose(self) -> None:
        await self.inner.aclose()
