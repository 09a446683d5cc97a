"""A tiny real HTTP server on 127.0.0.1 that answers from a script of (status, headers, body).

Used to drive OpenAIModel through the real openai SDK and httpx into error paths (401, 404, 429, 500) that
a healthy llama.cpp server never produces. Healthy behaviour is tested against llama.cpp's own server.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, str], dict[str, Any]]


def completion_body(text: str) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 0,
        "model": "stub",
        "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


@contextmanager
def stub_server(
    replies: list[Reply] | Callable[[dict[str, Any]], Reply],
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve ``replies`` in order (the last one repeats), or ``replies(body)`` computed from each request
    body; yields (base_url, received requests)."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            received.append({"path": self.path, "body": body, "auth": self.headers.get("authorization")})
            if callable(replies):
                status, headers, payload = replies(body)
            else:
                status, headers, payload = replies[min(len(received) - 1, len(replies) - 1)]
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", received
    finally:
        server.shutdown()
        server.server_close()
