"""OpenAIModel against a real OpenAI-compatible server: llama-cpp-python's, started on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from guardrail.models import Cached, Message, Recorder, Replay, Request
from guardrail.models.openai_model import OpenAIModel

from .conftest import local_model_available

pytestmark = [pytest.mark.server, pytest.mark.local_model]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not local_model_available():
        pytest.skip("needs the 'server' extra")
    pytest.importorskip("llama_cpp.server")
    from guardrail.models.local import default_model_path

    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(default_model_path()),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
                "--n_threads",
                str(os.cpu_count() or 2),
                "--model_alias",
                "gemma-3-270m",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not come up in 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def remote(server_url: str) -> OpenAIModel:
    return OpenAIModel(base_url=server_url)  # the model name is discovered from /v1/models


PROMPT = (
    "Question: What is the capital of France?\nAnswer: Paris\n\n"
    "Question: What is the capital of Italy?\nAnswer:"
)


def test_completions(remote: OpenAIModel) -> None:
    completion = remote.complete(Request(prompt=PROMPT, max_tokens=5, stop=("\n",)))
    assert remote.model == "gemma-3-270m"
    assert "Rome" in completion.text
    assert completion.usage.prompt_tokens > 10 and completion.model_id.startswith(
        "openai:gemma-3-270m@http://127.0.0.1"
    )


def test_completions_streamed(remote: OpenAIModel) -> None:
    request = Request(prompt=PROMPT, max_tokens=5, stop=("\n",))
    deltas = list(remote.stream(request))
    assert "".join(deltas) == remote.complete(request).text


def test_chat(remote: OpenAIModel) -> None:
    request = Request(messages=(Message(role="user", content="Reply with one word: hello"),), max_tokens=8)
    completion = remote.complete(request)
    assert completion.finish_reason in {"stop", "length"}
    assert isinstance(completion.text, str) and completion.usage.prompt_tokens > 0


def test_chat_streamed(remote: OpenAIModel) -> None:
    request = Request(messages=(Message(role="user", content="Count to five: one, two,"),), max_tokens=12)
    streamed = "".join(remote.stream(request))
    assert streamed == remote.complete(request).text


def test_record_then_replay_with_the_server_gone(remote: OpenAIModel, tmp_path: Path) -> None:
    cassette = tmp_path / "server.jsonl"
    request = Request(prompt=PROMPT, max_tokens=5, stop=("\n",))
    recorded = Recorder(remote, cassette).complete(request).text
    replay = Replay(cassette)  # no network involved from here on
    assert replay.complete(request).text == recorded


def test_cache_in_front_of_the_server(remote: OpenAIModel, tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    request = Request(prompt=PROMPT, max_tokens=5, stop=("\n",))
    Cached(remote, db).complete(request)
    calls = remote.meter.summary().calls
    again = Cached(remote, db)
    assert again.complete(request).cached
    assert remote.meter.summary().calls == calls and again.stats().hits == 1


def test_unknown_model_name_on_a_real_server(server_url: str) -> None:
    # llama.cpp's server answers any model name with its one model; OpenAI answers 404
    # (see test_openai_errors).
    completion = OpenAIModel("no-such-model", base_url=server_url).complete(
        Request(prompt="Hi", max_tokens=2)
    )
    assert completion.model_id.startswith("openai:no-such-model@")
