"""Chat on a GGUF without a chat template: Gemma's turn format, chosen from the file's metadata."""

from __future__ import annotations

from typing import Any

import pytest

from guardrail.errors import ConfigurationError
from guardrail.models import Message, Request, ToolCall
from guardrail.models.chat_templates import render_gemma, template_for

GEMMA_TURNS = (
    "<start_of_turn>user\nAnswer in one word.\n\nWhat colour is the sky?<end_of_turn>\n"
    "<start_of_turn>model\nBlue.<end_of_turn>\n"
    "<start_of_turn>user\nAnd grass?<end_of_turn>\n"
    "<start_of_turn>model\n"
)
CONVERSATION = (
    Message(role="system", content="Answer in one word."),
    Message(role="user", content="What colour is the sky?"),
    Message(role="assistant", content="Blue."),
    Message(role="user", content="And grass?"),
)


def test_gemma_turns_with_the_system_message_in_the_first_user_turn() -> None:
    assert render_gemma(CONVERSATION) == GEMMA_TURNS


def test_tool_calls_and_results_become_plain_gemma_turns() -> None:
    call = ToolCall(id="c1", name="search", arguments='{"query": "grass"}')
    rendered = render_gemma(
        [
            Message(role="user", content="Find grass."),
            Message(role="assistant", tool_calls=(call,)),
            Message(role="tool", tool_call_id="c1", content="green"),
        ]
    )
    assert rendered == (
        "<start_of_turn>user\nFind grass.<end_of_turn>\n"
        '<start_of_turn>model\n[{"name": "search", "arguments": {"query": "grass"}}]<end_of_turn>\n'
        "<start_of_turn>user\nResult of tool call c1:\ngreen<end_of_turn>\n"
        "<start_of_turn>model\n"
    )


def test_the_template_is_chosen_from_the_metadata() -> None:
    assert template_for({"general.architecture": "gemma3"}) is not None
    assert template_for({"general.architecture": "gemma3", "tokenizer.chat_template": "{{ x }}"}) is None
    assert template_for({"general.architecture": "llama"}) is None


@pytest.mark.local_model
def test_the_embedded_model_renders_gemma_turns(local_model: Any) -> None:
    metadata = local_model.load().metadata
    assert "tokenizer.chat_template" not in metadata and metadata["general.architecture"] == "gemma3"
    assert local_model.chat_format == "gemma"
    request = Request(messages=CONVERSATION, max_tokens=6)
    rendered = local_model.render_chat(request)
    assert rendered.prompt == GEMMA_TURNS and rendered.max_tokens == 6
    completion = local_model.complete(request)
    # The count proves the markers went in as Gemma's control tokens (one token each), after BOS.
    tokens = local_model.load().tokenize(GEMMA_TURNS.encode(), special=True)
    assert completion.usage.prompt_tokens == len(tokens) and tokens[0] == local_model.load().token_bos()
    assert tokens.count(105) == 4 and tokens.count(106) == 3  # <start_of_turn>, <end_of_turn>
    assert completion.text and completion.finish_reason in {"stop", "length"}


@pytest.mark.local_model
def test_chat_answers_do_not_depend_on_earlier_calls(local_model: Any) -> None:
    request = Request(messages=CONVERSATION[1:2], max_tokens=12)
    first = local_model.complete(request).text
    local_model.complete(Request(prompt="An unrelated prompt about ships and the sea", max_tokens=8))
    assert local_model.complete(request).text == first
    assert "".join(local_model.stream(request)) == first


@pytest.mark.local_model
def test_tools_on_the_embedded_model_are_a_clear_error(local_model: Any) -> None:
    tools = ({"type": "function", "function": {"name": "f", "parameters": {}}},)
    with pytest.raises(ConfigurationError, match="no tool protocol"):
        local_model.complete(Request(messages=CONVERSATION, tools=tools))
    from guardrail._sync import run_sync

    assert run_sync(local_model.asupports_tools(), "test") is False
