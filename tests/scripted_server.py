"""A scripted OpenAI-compatible completions server on 127.0.0.1: answers are a function of the prompt,
each takes ``delay_s``, and every request for its model is counted (others get a 404). ``kill_at`` lets a
test SIGKILL a client process at the moment its N-th request arrives (so that the kill lands while calls
are in flight)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Script:
    answer: Callable[[str], str]
    delay_s: float = 0.02
    #: Only text completions for this model name are answered and counted.
    model: str = "scripted"
    requests: Counter[str] = field(default_factory=Counter)
    total: int = 0
    #: (request number, pid): SIGKILL pid when the total number of requests reaches that number.
    kill_at: tuple[int, int] | None = None
    killed: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def scripted_server(script: Script) -> Iterator[str]:
    """Serve ``script``; yields the base URL (``http://127.0.0.1:PORT/v1``)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", 0)))
            body = json.loads(raw or b"{}")
            prompt = str(body.get("prompt", ""))
            if body.get("model") != script.model or "prompt" not in body:
                # Not ours: a stray request from an earlier test whose client aimed at this reused port.
                self.send_error(404, "unknown model")
                return
            with script.lock:
                script.total += 1
                script.requests[prompt] += 1
                if script.kill_at is not None and script.total >= script.kill_at[0]:
                    pid = script.kill_at[1]
                    script.kill_at = None
                    os.kill(pid, signal.SIGKILL)
                    script.killed.append(script.total)
            time.sleep(script.delay_s)
            text = script.answer(prompt)
            data = json.dumps(
                {
                    "id": "cmpl",
                    "object": "text_completion",
                    "created": 0,
                    "model": "scripted",
                    "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}],
                    "usage": {
                        "prompt_tokens": len(prompt.split()),
                        "completion_tokens": 1,
                        "total_tokens": 1,
                    },
                }
            ).encode()
            try:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client was killed meanwhile

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
