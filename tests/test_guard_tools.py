"""The Guard's tool protocol, branch by branch, with scripted models; and one conversation recorded from a
real llama.cpp server (chatml-function-calling), replayed offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, field_validator

from guardrail.checks import ToolCalls, ValidatedCall
from guardrail.guard import Guard
from guardrail.models import Completion, Message, Recorder, Replay, ScriptedModel, ToolCall
from guardrail.prompt import Prompt

CASSETTES = Path(__file__).parent / "cassettes"


class Weather(BaseModel):
    """Get the current weather in a city."""

    city: str
    unit: Literal["celsius", "fahrenheit"]


class Search(BaseModel):
    """Search the web."""

    query: str


TOOLS = ToolCalls([("get_weather", Weather), ("search", Search)])
CHAT = Prompt("What is the weather in {{ city }}?", chat=True, params={"max_tokens": 64})


def calls(*pairs: tuple[str, str, dict[str, object] | str]) -> Completion:
    """A completion that answers with native tool calls (id, name, arguments)."""
    return Completion(
        text="",
        finish_reason="tool_calls",
        tool_calls=tuple(
            ToolCall(id=i, name=n, arguments=a if isinstance(a, str) else json.dumps(a)) for i, n, a in pairs
        ),
    )


def test_the_guard_offers_the_check_tools_and_accepts_a_native_call() -> None:
    model = ScriptedModel([calls(("c1", "get_weather", {"city": "Oslo", "unit": "celsius"}))])
    result = Guard(model, CHAT, TOOLS).run(city="Oslo")
    assert result.ok and result.stop_reason == "accepted"
    assert result.value == [ValidatedCall("get_weather", Weather(city="Oslo", unit="celsius"), "c1")]
    (request,) = model.requests
    assert request.tools == tuple(TOOLS.openai_tools())
    assert [t["function"]["name"] for t in request.tools] == ["get_weather", "search"]


def test_a_wrong_call_is_reasked_through_the_tool_protocol() -> None:
    model = ScriptedModel(
        [
            calls(("c1", "get_weather", {"city": "Oslo", "unit": "kelvin"})),
            calls(("c2", "get_weather", {"city": "Oslo", "unit": "celsius"})),
        ]
    )
    result = Guard(model, CHAT, TOOLS).run(city="Oslo")
    assert result.ok and len(result.attempts) == 2
    (error,) = result.attempts[0].verdict.errors
    assert error.path == (0, "arguments", "unit") and error.code == "tool.arguments_invalid"
    user, assistant, tool, note = model.requests[1].messages
    assert user == Message(role="user", content="What is the weather in Oslo?")
    assert assistant.role == "assistant" and assistant.content is None
    assert [c.id for c in assistant.tool_calls] == ["c1"]
    assert tool.role == "tool" and tool.tool_call_id == "c1"
    assert "$[0].arguments.unit" in (tool.content or "") and "kelvin" in (tool.content or "")
    assert note.role == "user" and "kelvin" in (note.content or "")
    assert model.requests[1].tools == model.requests[0].tools


def test_parallel_calls_are_judged_one_by_one() -> None:
    model = ScriptedModel(
        [
            calls(
                ("a", "search", {"query": "umbrellas"}),
                ("b", "get_weather", {"city": "Oslo"}),
                ("c", "get_weather", "city=Oslo"),
            ),
            calls(
                ("a", "search", {"query": "umbrellas"}),
                ("d", "get_weather", {"city": "Oslo", "unit": "celsius"}),
            ),
        ]
    )
    result = Guard(model, CHAT, TOOLS).run(city="Oslo")
    assert result.ok and [c.name for c in result.value] == ["search", "get_weather"]
    errors = result.attempts[0].verdict.errors
    assert {(e.path, e.code) for e in errors} == {
        ((1, "arguments", "unit"), "tool.arguments_invalid"),
        ((2, "arguments"), "tool.arguments_not_json"),
    }
    tool_messages = [m for m in model.requests[1].messages if m.role == "tool"]
    assert [m.tool_call_id for m in tool_messages] == ["a", "b", "c"]
    assert "valid" in (tool_messages[0].content or "") and "Error" not in (tool_messages[0].content or "")
    assert "$[1].arguments.unit" in (tool_messages[1].content or "")
    assert "not valid JSON" in (tool_messages[2].content or "")


def test_a_text_answer_to_a_tool_request_is_rejected_with_a_clear_reason() -> None:
    model = ScriptedModel(
        ["Sure! It is sunny in Oslo.", calls(("c1", "get_weather", {"city": "Oslo", "unit": "celsius"}))]
    )
    result = Guard(model, CHAT, TOOLS).run(city="Oslo")
    assert result.ok
    (error,) = result.attempts[0].verdict.errors
    assert error.code == "tool.text_instead_of_call"
    assert "answered in text instead of calling a tool" in error.message
    # No tool calls to answer: the re-ask is a plain user turn.
    assert [m.role for m in model.requests[1].messages] == ["user", "user"]
    assert "call one of the tools" in (model.requests[1].messages[-1].content or "")


def test_a_model_without_tool_support_gets_no_tools_and_answers_in_json() -> None:
    model = ScriptedModel(
        [
            '{"name": "get_weather", "arguments": {"city": "Oslo", "unit": "K"}}',
            '{"name": "get_weather", "arguments": {"city": "Oslo", "unit": "celsius"}}',
        ],
        tools=False,
    )
    result = Guard(model, CHAT, TOOLS).run(city="Oslo")
    assert result.ok and result.value[0].arguments == Weather(city="Oslo", unit="celsius")
    assert all(r.tools is None for r in model.requests)
    assert result.attempts[0].verdict.errors[0].path == (0, "arguments", "unit")
    assert "$[0].arguments.unit" in (model.requests[1].messages[-1].content or "")


def test_a_text_prompt_gets_no_tools() -> None:
    model = ScriptedModel(['{"name": "search", "arguments": {"query": "x"}}'])
    result = Guard(model, "Call a tool for {{ q }}:", TOOLS).run(q="x")
    assert result.ok and model.requests[0].tools is None and model.requests[0].prompt is not None


@pytest.mark.parametrize(
    ("answer", "code", "path"),
    [
        (calls(("c1", "get_time", {})), "tool.unknown", (0, "name")),
        (calls(("c1", "search", '{"query": ')), "tool.arguments_not_json", (0, "arguments")),
        (calls(("c1", "search", {"query": 3})), "tool.arguments_invalid", (0, "arguments", "query")),
        (
            calls(("c1", "search", {"query": "a"}), ("c1", "search", {"query": "b"})),
            "tool.duplicate_id",
            (1, "id"),
        ),
        (
            calls(("c1", "search", json.dumps({"query": "x" * 1_000_000}))),
            "output.too_long",
            (0, "arguments"),
        ),
    ],
    ids=["unknown_tool", "not_json", "invalid", "duplicate_id", "megabyte"],
)
def test_bad_calls_are_located_rejections(answer: Completion, code: str, path: tuple[object, ...]) -> None:
    verdict = TOOLS.check(answer)
    assert not verdict.ok
    assert (verdict.errors[0].code, verdict.errors[0].path) == (code, path)


def test_calls_without_unique_ids_are_reasked_in_text() -> None:
    # The protocol answers each call by its id; duplicated (or missing) ids cannot be answered that way.
    model = ScriptedModel(
        [
            calls(("c1", "search", {"query": "a"}), ("c1", "search", {"query": "b"})),
            calls(("c1", "search", {"query": "a"})),
        ]
    )
    result = Guard(model, CHAT, TOOLS).run(city="Oslo")
    assert result.ok
    assert [m.role for m in model.requests[1].messages] == ["user", "user"]
    assert "used twice" in (model.requests[1].messages[-1].content or "")


def test_a_transcript_whose_tool_message_answers_no_call_is_rejected() -> None:
    call = ToolCall(id="c1", name="search", arguments='{"query": "a"}')
    transcript = [
        Message(role="user", content="find a"),
        Message(role="assistant", tool_calls=(call,)),
        Message(role="tool", tool_call_id="c9", content="results"),
        Message(role="tool", tool_call_id="c1", content="results"),
        Message(role="tool", tool_call_id="c1", content="again"),
        Message(role="assistant", tool_calls=(call,)),
    ]
    verdict = TOOLS.check(transcript)
    assert [(e.code, e.path) for e in verdict.errors] == [
        ("tool.unknown_call_id", (2, "tool_call_id")),
        ("tool.unknown_call_id", (4, "tool_call_id")),
        ("tool.duplicate_id", (5, "tool_calls", 0, "id")),
    ]
    fine = [
        *transcript[:2],
        transcript[3],
        Message(role="assistant", tool_calls=(call.model_copy(update={"id": "c2"}),)),
    ]
    assert TOOLS.check(fine).ok


def test_a_tool_conversation_records_and_replays_offline(tmp_path: Path) -> None:
    answers = [
        calls(("c1", "get_weather", {"city": "Oslo", "unit": "kelvin"})),
        calls(("c2", "get_weather", {"city": "Oslo", "unit": "celsius"})),
    ]
    cassette = tmp_path / "tools.jsonl"
    recorded = Guard(Recorder(ScriptedModel(answers), cassette), CHAT, TOOLS).run(city="Oslo")
    replayed = Guard(Replay(cassette), CHAT, TOOLS).run(city="Oslo")
    assert recorded.ok and replayed.ok and replayed.value == recorded.value
    assert [a.tool_calls for a in replayed.attempts] == [a.tool_calls for a in recorded.attempts]
    line = json.loads(cassette.read_text().splitlines()[1])
    assert [m["role"] for m in line["request"]["messages"]] == ["user", "assistant", "tool", "user"]


class CityWeather(BaseModel):
    """Get the current weather in a city."""

    city: str
    unit: str

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, value: str) -> str:
        if value not in ("celsius", "fahrenheit"):
            raise ValueError("unit must be 'celsius' or 'fahrenheit'")
        return value


def test_a_recorded_server_conversation_goes_through_the_protocol() -> None:
    # Recorded by tests/test_server.py::test_guard_tool_protocol_against_the_server (llama-cpp-python's
    # chatml-function-calling format, the embedded Gemma 3 270M base model). The base model does not fix
    # its call: what is recorded is the protocol round trip, replayed here without a server.
    replay = Replay(CASSETTES / "test_guard_tools_server.jsonl")
    guard = Guard(replay, SERVER_PROMPT, ToolCalls([("get_weather", CityWeather)]))
    result = guard.run(city="Paris")
    first, second = result.attempts
    assert first.tool_calls and first.tool_calls[0].name == "get_weather"
    assert first.verdict.errors[0].path == (0, "arguments", "unit")
    assert [m.role for m in second.request.messages] == ["user", "assistant", "tool", "user"]
    assert second.request.messages[2].tool_call_id == first.tool_calls[0].id
    assert result.stop_reason in {"accepted", "repeated_error"}


SERVER_PROMPT = Prompt(
    "What is the weather in {{ city }}, in celsius?",
    chat=True,
    params={"max_tokens": 48, "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
)
