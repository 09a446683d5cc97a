"""A fault-injecting HTTP proxy on 127.0.0.1, put between ``OpenAIModel`` and a real server.

Each request is forwarded to the upstream server, or answered with a fault instead: a 429 with
Retry-After, a 500, a connection reset before any answer, a stall past the client's timeout (before the
answer, or for streams in the middle of it), a 200 whose JSON is cut short (or, in a stream, one malformed
event), or an answer cut off in the middle: the connection dies inside the body (``cut``), or a stream
ends cleanly but early, without its final event and ``[DONE]`` (``truncated``).

Which requests fail is decided from the request body and how many times that body was seen (seeded), so
the same requests fail whatever order a study's calls run in; the kinds are dealt round-robin, so that every
kind occurs once there are as many faults as kinds. Every request stops failing after
``max_faults_per_request`` tries (the client's retries can always get through). ``log`` keeps one
``Entry`` per request received: what was asked and what was done to it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import httpx

#: Every kind of fault, and the ones that only make sense for streamed answers.
KINDS = ("429", "500", "reset", "stall", "malformed", "cut", "truncated")
STREAM_ONLY = frozenset({"truncated"})


@dataclass
class Entry:
    path: str
    body_hash: str
    stream: bool
    fault: str | None
    body: bytes = b""
    #: A stream fault that never reached the client (it had hung up, or the stream ended first).
    missed: str | None = None


@dataclass
class FaultProxy:
    upstream: str
    rate: float = 0.2
    seed: int = 0
    kinds: Sequence[str] = KINDS
    #: How long a stalled answer hangs (set it above the client's timeout).
    stall_s: float = 3.0
    max_faults_per_request: int = 2
    retry_after_s: int = 1
    #: Serve (and count) only requests for this model (None: every request).
    model: str | None = None
    #: A broken stream breaks after this many events (the first carries the first token).
    cut_after_events: int = 3
    log: list[Entry] = field(default_factory=list)
    url: str = ""
    _seen: Counter[str] = field(default_factory=Counter)
    _turn: int = -1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- bookkeeping ---------------------------------------------------------------------------------
    def faults(self) -> Counter[str]:
        return Counter(e.fault for e in self.log if e.fault is not None)

    def forwarded(self) -> int:
        return sum(e.fault is None for e in self.log)

    def _decide(self, body: bytes, stream: bool) -> tuple[str, str | None]:
        digest = hashlib.sha256(body).hexdigest()[:16]
        with self._lock:
            nth = self._seen[digest]
            self._seen[digest] += 1
        rng = random.Random(f"{self.seed}:{digest}:{nth}")
        if nth >= self.max_faults_per_request or rng.random() >= self.rate:
            return digest, None
        choices = [k for k in self.kinds if stream or k not in STREAM_ONLY]
        if not choices:
            return digest, None
        with self._lock:  # round-robin, so that every kind occurs once there are enough faults
            self._turn += 1
            return digest, choices[self._turn % len(choices)]

    # -- serving -------------------------------------------------------------------------------------
    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {
            k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
        try:
            parsed = json.loads(body) if body else {}
        except ValueError:
            parsed = {}
        stream = bool(isinstance(parsed, dict) and parsed.get("stream"))
        if self.model is not None and (not isinstance(parsed, dict) or parsed.get("model") != self.model):
            # A stray request from another test aimed at this reused port: neither served nor counted.
            await _send(writer, 404, {}, _error("unknown model"))
            writer.close()
            return
        key = method.encode() + path.encode() + body
        digest, fault = self._decide(key, stream)
        entry = Entry(path, digest, stream, fault, key)
        with self._lock:
            self.log.append(entry)
        try:
            delivered = await self._answer(reader, writer, method, path, headers, body, stream, fault)
            if not delivered:
                entry.fault, entry.missed = None, fault
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()

    async def _answer(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        stream: bool,
        fault: str | None,
    ) -> bool:
        """Answer the request, with ``fault`` if any; False when a stream fault never reached the client."""
        if fault == "429":
            await _send(writer, 429, {"retry-after": str(self.retry_after_s)}, _error("rate limited"))
            return True
        if fault == "500":
            await _send(writer, 500, {}, _error("internal error"))
            return True
        if fault == "reset":
            _reset(writer)
            return True
        if fault == "stall" and not stream:
            await asyncio.sleep(self.stall_s)
            _reset(writer)
            return True
        forward = {k: v for k, v in headers.items() if k in ("content-type", "authorization", "accept")}
        async with (
            httpx.AsyncClient(timeout=120) as client,
            client.stream(method, self.upstream + path, content=body, headers=forward) as resp,
        ):
            if not stream or resp.status_code != 200:
                data = await resp.aread()
                if fault == "malformed":
                    data = data[: max(1, len(data) // 2)]  # valid JSON cut short: not JSON any more
                if fault == "cut":
                    await _send_partial(writer, resp.status_code, data)
                    return True
                await _send(writer, resp.status_code, {"content-type": "application/json"}, data)
                return True
            return await _relay_stream(reader, writer, resp, fault, self.cut_after_events, self.stall_s)


def _error(message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "server_error"}}).encode()


def _status_line(status: int) -> bytes:
    reason = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "Status")
    return f"HTTP/1.1 {status} {reason}\r\n".encode()


async def _send(writer: asyncio.StreamWriter, status: int, headers: dict[str, str], data: bytes) -> None:
    head = _status_line(status)
    all_headers = {"content-type": "application/json", **headers, "content-length": str(len(data))}
    all_headers["connection"] = "close"
    head += "".join(f"{k}: {v}\r\n" for k, v in all_headers.items()).encode() + b"\r\n"
    writer.write(head + data)
    await writer.drain()


async def _send_partial(writer: asyncio.StreamWriter, status: int, data: bytes) -> None:
    """Announce the whole body, send half of it, and drop the connection."""
    head = _status_line(status)
    head += (
        f"content-type: application/json\r\ncontent-length: {len(data)}\r\nconnection: close\r\n\r\n".encode()
    )
    writer.write(head + data[: len(data) // 2])
    await writer.drain()
    _reset(writer)


async def _relay_stream(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    resp: httpx.Response,
    fault: str | None,
    cut_after_events: int,
    stall_s: float,
) -> bool:
    """Relay a server-sent-event stream as chunked HTTP, with ``fault`` applied half-way; False when the
    fault never reached the client (it hung up first, as a Guard does when no continuation can pass, or
    the stream ended before the fault's event)."""
    head = _status_line(200) + (
        b"content-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    )
    writer.write(head)
    events = 0
    async for line in resp.aiter_lines():
        if not line:
            continue
        if line.startswith("data:"):
            events += 1
            if fault in ("cut", "truncated", "malformed", "stall") and events == cut_after_events:
                await asyncio.sleep(0.05)  # let a hang-up that is on its way arrive
                if reader.at_eof():
                    return False
                if fault == "stall":  # the answer stops coming, past the client's read timeout
                    await asyncio.sleep(stall_s)
                    _reset(writer)
                    return True
                if fault == "cut":  # the connection dies inside the chunked body
                    writer.write(b'40\r\ndata: {"id"')
                    await writer.drain()
                    _reset(writer)
                    return True
                if fault == "truncated":  # a clean end, but no final event and no [DONE]
                    writer.write(b"0\r\n\r\n")
                    await writer.drain()
                    return True
                line = 'data: {"id": "broken", "choices": [{"text": '  # malformed JSON in the stream
        chunk = (line + "\n\n").encode()
        writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        await writer.drain()
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    return fault not in ("cut", "truncated", "malformed", "stall") or events >= cut_after_events


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a crashed server or a broken network would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@contextmanager
def fault_proxy(upstream: str, **settings: object) -> Iterator[FaultProxy]:
    """Run a ``FaultProxy`` in front of ``upstream`` (``http://127.0.0.1:PORT``, no ``/v1``) in a thread."""
    proxy = FaultProxy(upstream.rstrip("/"), **settings)  # type: ignore[arg-type]
    loop = asyncio.new_event_loop()
    started = threading.Event()
    server: list[asyncio.AbstractServer] = []

    async def start() -> None:
        srv = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
        server.append(srv)
        proxy.url = f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}"
        started.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield proxy
    finally:

        async def stop() -> None:
            server[0].close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
