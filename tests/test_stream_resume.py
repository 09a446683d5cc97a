"""A stream that breaks off is asked again and continues where it stopped (without a real server: a stub
that cuts its first answer short and then answers in full, or differently)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from guardrail.errors import BackendError
from guardrail.models import Request
from guardrail.models.openai_model import OpenAIModel, RetryPolicy

FAST = RetryPolicy(max_retries=3, base_delay_s=0.0, max_delay_s=0.0)


@contextmanager
def stream_stub(answers: list[tuple[list[str], bool]]) -> Iterator[tuple[str, list[int]]]:
    """Serve streamed completions: the n-th request gets ``answers[n]`` (its pieces, and whether it ends
    properly with a finish reason and [DONE]; the last entry repeats)."""
    served: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            pieces, complete = answers[min(len(served), len(answers) - 1)]
            served.append(len(served))
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            for i, piece in enumerate(pieces):
                last = complete and i == len(pieces) - 1
                choice = {"index": 0, "text": piece, "finish_reason": "stop" if last else None}
                event = {
                    "id": "1",
                    "object": "text_completion",
                    "created": 0,
                    "model": "m",
                    "choices": [choice],
                }
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            if complete:
                self.wfile.write(b"data: [DONE]\n\n")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", served
    finally:
        server.shutdown()
        server.server_close()


def test_a_stream_ended_early_is_resumed_and_every_character_passed_on_once() -> None:
    full = [" six", ",", " seven", ",", " eight"]
    with stream_stub([(full[:3], False), (full, True)]) as (url, served):
        model = OpenAIModel("m", base_url=url, retry=FAST)
        stream = model.stream(Request(prompt="Count:", max_tokens=8))
        deltas = list(stream)
    assert "".join(deltas) == "".join(full) and deltas == full  # nothing repeated, nothing lost
    assert len(served) == 2 and model.retries == 1
    assert model.meter.summary().calls == 1


def test_a_resumed_stream_that_answers_differently_is_an_error() -> None:
    with stream_stub([([" six", ","], False), ([" seven", ","], True)]) as (url, _):
        model = OpenAIModel("m", base_url=url, retry=FAST)
        with pytest.raises(BackendError, match="differs at character 0"):
            list(model.stream(Request(prompt="Count:", max_tokens=8)))


def test_a_stream_that_keeps_breaking_gives_up_after_the_retries() -> None:
    with stream_stub([([" six"], False)]) as (url, served):
        model = OpenAIModel("m", base_url=url, retry=FAST)
        with pytest.raises(BackendError, match="broke off the stream 4 times"):
            list(model.stream(Request(prompt="Count:", max_tokens=8)))
    assert len(served) == 4 and model.retries == 3
