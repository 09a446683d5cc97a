from __future__ import annotations

import random
import socket

import pytest

from guardrail.errors import (
    AuthenticationError,
    BackendUnavailable,
    ModelNotFoundError,
    ServerError,
)
from guardrail.models.openai_model import OpenAIModel, RetryPolicy, retry_after_seconds

from .http_stub import completion_body, stub_server

FAST = RetryPolicy(max_retries=3, base_delay_s=0.01, max_delay_s=0.05, max_retry_after_s=0.2)
ERR = {"error": {"message": "boom", "type": "x"}}


def _model(url: str, retry: RetryPolicy = FAST) -> OpenAIModel:
    return OpenAIModel("stub-model", base_url=url, retry=retry)


def test_success_through_the_real_sdk() -> None:
    with stub_server([(200, {}, completion_body("4"))]) as (url, received):
        completion = _model(url).complete("2+2=", max_tokens=2)
    assert completion.text == "4" and completion.usage.completion_tokens == 2
    assert received[0]["path"] == "/v1/completions" and received[0]["body"]["max_tokens"] == 2


def test_401_says_to_check_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-999")
    with (
        stub_server([(401, {}, ERR)]) as (url, received),
        pytest.raises(AuthenticationError, match="rejected the API key") as info,
    ):
        _model(url).complete("x")
    assert len(received) == 1  # never retried
    assert "sk-wrong-key-999" not in str(info.value)
    assert received[0]["auth"] == "Bearer sk-wrong-key-999"


def test_404_says_to_check_the_model_name() -> None:
    with (
        stub_server([(404, {}, ERR)]) as (url, _),
        pytest.raises(ModelNotFoundError, match="check the model name"),
    ):
        _model(url).complete("x")


def test_500_is_retried_then_fails_clearly() -> None:
    with stub_server([(500, {}, ERR)]) as (url, received):
        model = _model(url)
        with pytest.raises(ServerError, match=r"HTTP 500 .* 4 attempts"):
            model.complete("x")
    assert len(received) == 4 and model.retries == 3


def test_transient_errors_then_success() -> None:
    replies = [(503, {}, ERR), (429, {"retry-after": "0.05"}, ERR), (200, {}, completion_body("ok"))]
    with stub_server(replies) as (url, received):
        model = _model(url)
        assert model.complete("x").text == "ok"
    assert len(received) == 3 and model.retries == 2


def test_retry_after_is_honoured_over_backoff() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0, max_retry_after_s=30.0)
    rng = random.Random(1)
    assert policy.delay(0, 7.0, rng) == 7.0
    assert policy.delay(0, 100.0, rng) == 30.0  # capped
    backoffs = [policy.delay(a, None, rng) for a in range(5)]
    for attempt, d in enumerate(backoffs):
        cap = min(8.0, 2.0**attempt)
        assert cap / 2 <= d <= cap  # exponential, jittered within [cap/2, cap]
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({}) is None


def test_unreachable_base_url_is_one_clear_error() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = _model(f"http://127.0.0.1:{port}/v1", RetryPolicy(max_retries=1, base_delay_s=0.01))
    with pytest.raises(
        BackendUnavailable, match=r"could not connect to http://127.0.0.1:\d+/v1 .*is the server running"
    ):
        model.complete("x")


def test_openai_without_key_or_base_url_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from guardrail.errors import ConfigurationError

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="set the environment variable OPENAI_API_KEY"):
        OpenAIModel("gpt-4o-mini")


def test_failed_calls_leave_nothing_in_cache_or_cassette(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    from guardrail.models import Cached, Recorder

    root = Path(str(tmp_path))
    with stub_server([(500, {}, ERR)]) as (url, _):
        model = Recorder(Cached(_model(url), root / "c.sqlite"), root / "c.jsonl")
        with pytest.raises(ServerError):
            model.complete("x")
    assert not (root / "c.jsonl").exists()
    assert len(model.inner.cache) == 0  # type: ignore[attr-defined]


def test_unknown_model_spec_lists_the_accepted_forms() -> None:
    from guardrail.errors import UnknownModelError
    from guardrail.models import resolve_model

    with pytest.raises(UnknownModelError, match=r"unknown model 'gpt5'; accepted specs: 'local'"):
        resolve_model("gpt5")


def test_missing_model_file_says_what_to_do(tmp_path: pytest.TempPathFactory) -> None:
    from guardrail.errors import ModelFileError
    from guardrail.models import resolve_model

    with pytest.raises(
        ModelFileError, match=r"model file not found: .*nothing.gguf; pass the path of an existing"
    ):
        resolve_model(f"local:{tmp_path}/nothing.gguf")
