from __future__ import annotations

import pytest

from guardrail.models import Request, ScriptedModel


async def test_stream_yields_deltas_and_records_completion() -> None:
    model = ScriptedModel(["hello world"], chunk=3)
    stream = model.astream("say hi")
    deltas = [d async for d in stream]
    assert deltas == ["hel", "lo ", "wor", "ld"]
    assert stream.completion is not None and stream.completion.text == "hello world"
    assert stream.completion.finish_reason == "stop"
    assert model.meter.summary().calls == 1


async def test_early_close_aborts_generation() -> None:
    model = ScriptedModel(["x" * 100], chunk=10)
    stream = model.astream("go")
    async for _ in stream:
        if len(stream.text) >= 20:
            break
    await stream.aclose()
    assert stream.completion is not None and stream.completion.finish_reason == "aborted"
    assert stream.completion.text == "x" * 20
    assert model.chars_generated == 20  # the rest was never produced


def test_sync_facades() -> None:
    model = ScriptedModel(lambda r: (r.prompt or "").upper())
    assert model.complete("abc").text == "ABC"
    assert "".join(model.stream("def")) == "DEF"


async def test_sync_facade_inside_event_loop_says_to_await() -> None:
    from guardrail.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="await the async method"):
        ScriptedModel(["x"]).complete("x")


def test_stop_sequences_apply() -> None:
    assert ScriptedModel(["yes\nno"]).complete(Request(prompt="q", stop=("\n",))).text == "yes"


def test_running_out_of_script_names_the_request() -> None:
    model = ScriptedModel([])
    with pytest.raises(IndexError, match='prompt="lonely"'):
        model.complete("lonely")
