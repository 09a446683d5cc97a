"""OpenAIModel against a real OpenAI-compatible server: llama-cpp-python's, started on 127.0.0.1.

The server holds the embedded GGUF under two names: ``gemma-3-270m`` with Gemma's turn format for chat
(the file carries no chat template; left alone the server falls back to llama-2's and answers ``''``), and
``gemma-3-270m-tools`` with llama-cpp-python's ``chatml-function-calling`` format, the one of its formats
that does tool calls for any model (``functionary`` needs functionary models). It swaps weights when a
request names the other one. The 270M base model answers poorly; these tests assert the protocol.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from guardrail.checks import ToolCalls
from guardrail.guard import Guard
from guardrail.models import Cached, Message, Recorder, Replay, Request
from guardrail.models.chat_templates import render_gemma
from guardrail.models.openai_model import OpenAIModel

from .conftest import local_model_available
from .test_guard_tools import CASSETTES, SERVER_PROMPT, CityWeather

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
    folder = tmp_path_factory.mktemp("server")
    log = folder / "server.log"
    model = {"model": str(default_model_path()), "n_ctx": 2048, "n_threads": os.cpu_count() or 2}
    config = {
        "host": "127.0.0.1",
        "port": port,
        "models": [
            {**model, "model_alias": "gemma-3-270m", "chat_format": "gemma"},
            {**model, "model_alias": TOOLS_ALIAS, "chat_format": "chatml-function-calling"},
        ],
    }
    (folder / "config.json").write_text(json.dumps(config))
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--config_file", str(folder / "config.json")],
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


TOOLS_ALIAS = "gemma-3-270m-tools"


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


def test_chat(remote: OpenAIModel, local_model: Any) -> None:
    messages = (Message(role="user", content="Reply with one word: hello"),)
    completion = remote.complete(Request(messages=messages, max_tokens=8))
    # The server formatted the chat in Gemma's turns: BOS plus exactly the tokens of guardrail's rendering
    # (llama-2's format, the fallback, differs), and the base model answered something.
    tokens = local_model.load().tokenize(render_gemma(messages).encode(), special=True)
    assert completion.usage.prompt_tokens == len(tokens)
    assert completion.text.strip() and completion.finish_reason in {"stop", "length"}


def test_a_tool_call_request(server_url: str) -> None:
    tools = ToolCalls([("get_weather", CityWeather)])
    model = OpenAIModel(TOOLS_ALIAS, base_url=server_url)
    request = SERVER_PROMPT.build(city="Paris").model_copy(update={"tools": tools.request_tools()})
    completion = model.complete(request)
    assert completion.finish_reason == "tool_calls" and completion.text == ""
    (call,) = completion.tool_calls
    assert call.name == "get_weather" and call.id
    arguments = json.loads(call.arguments)  # the format constrains arguments to the tool's JSON Schema
    assert set(arguments) == {"city", "unit"} and all(isinstance(v, str) for v in arguments.values())
    verdict = tools.check(completion)
    assert verdict.ok or {e.path for e in verdict.errors} == {(0, "arguments", "unit")}


def test_guard_tool_protocol_against_the_server(server_url: str, tmp_path: Path) -> None:
    # Set GUARDRAIL_RERECORD=1 to rewrite the cassette that test_guard_tools replays offline.
    target = (
        CASSETTES / "test_guard_tools_server.jsonl"
        if os.environ.get("GUARDRAIL_RERECORD")
        else tmp_path / "c.jsonl"
    )
    if target.exists() and target.parent == CASSETTES:
        target.unlink()
    model = Recorder(OpenAIModel(TOOLS_ALIAS, base_url=server_url), target)
    result = Guard(model, SERVER_PROMPT, ToolCalls([("get_weather", CityWeather)])).run(city="Paris")
    first = result.attempts[0]
    assert first.tool_calls and first.request.tools is not None
    if result.ok:  # the base model happened to pick a valid unit at once: nothing to re-ask
        return
    second = result.attempts[1]
    # The server accepted the protocol's re-ask (assistant calls, tool message, user note) and answered.
    assert [m.role for m in second.request.messages] == ["user", "assistant", "tool", "user"]
    assert second.request.messages[2].tool_call_id == first.tool_calls[0].id
    assert second.completion is not None and second.completion.finish_reason == "tool_calls"
    assert len(target.read_text().splitlines()) == len(result.attempts)


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
