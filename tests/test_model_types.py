from __future__ import annotations

import pytest
from pydantic import ValidationError

from guardrail.models import Message, Request, as_request, chat


def test_request_needs_exactly_one_of_prompt_or_messages() -> None:
    with pytest.raises(ValidationError, match="exactly one of prompt"):
        Request()
    with pytest.raises(ValidationError, match="exactly one of prompt"):
        Request(prompt="x", messages=(Message(role="user", content="x"),))


def test_tools_need_chat() -> None:
    with pytest.raises(ValidationError, match="tools= needs a chat request"):
        Request(prompt="x", tools=({"type": "function"},))


def test_key_covers_every_sampling_parameter_and_the_sample_index() -> None:
    base = Request(prompt="Hi", temperature=0.8)
    variants = [
        base.model_copy(update={"sample": 2}),
        base.model_copy(update={"temperature": 0.7}),
        base.model_copy(update={"top_p": 0.9}),
        base.model_copy(update={"max_tokens": 17}),
        base.model_copy(update={"stop": ("\n",)}),
        base.model_copy(update={"seed": 3}),
        base.model_copy(update={"prompt": "Hi!"}),
    ]
    keys = {base.key("m")} | {v.key("m") for v in variants}
    assert len(keys) == len(variants) + 1
    assert base.key("m") != base.key("other-model")
    assert base.key("m") == Request(prompt="Hi", temperature=0.8).key("m")


def test_sample_index_shifts_the_seed() -> None:
    assert Request(prompt="x", seed=10, sample=3).effective_seed() == 13
    assert Request(prompt="x").effective_seed() is None
    assert Request(prompt="x", sample=2).effective_seed() == 2


def test_describe_is_one_line_and_clipped() -> None:
    text = Request(prompt="line1\nline2" + "x" * 500).describe(width=60)
    assert "\n" not in text and "max_tokens=256" in text and len(text) < 250


def test_helpers_build_requests() -> None:
    r = as_request("Q:", max_tokens=5)
    assert r.prompt == "Q:" and r.max_tokens == 5
    c = chat(("system", "be brief"), ("user", "hi"), max_tokens=3)
    assert c.is_chat and c.messages is not None and c.messages[1].content == "hi"
