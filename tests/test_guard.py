"""The generate-and-test loop, with scripted models (deterministic) and small test checks."""

from __future__ import annotations

import re
from typing import Any

import pytest

from guardrail.checks.base import Check, ErrorDetail, Verdict
from guardrail.guard import Budget, Guard, Refine, Resample, Simplify
from guardrail.models import Message, Request, ScriptedModel


class Digits(Check):
    """Accepts a non-empty string of digits (value: the int); every prefix of digits is viable."""

    name = "digits"

    def check(self, value: Any) -> Verdict:
        if re.fullmatch(r"[0-9]+", value):
            return Verdict.accept(int(value))
        bad = next((i for i, ch in enumerate(value) if not ch.isdigit()), len(value))
        return Verdict.reject(
            ErrorDetail(
                check=self.name,
                message=f"not a number: unexpected {value[bad : bad + 1]!r}",
                feedback=f"Answer with digits only; character {bad} is not a digit.",
                expected="a digit",
                offset=bad,
            )
        )

    def viable(self, prefix: str) -> bool:
        return re.fullmatch(r"[0-9]*", prefix) is not None


def test_accepts_first_good_answer() -> None:
    model = ScriptedModel(["42"])
    result = Guard(model, "Q: {{ question }}\nA:", Digits()).run(question="6*7?")
    assert result.ok and result.value == 42 and result.stop_reason == "accepted"
    assert len(result.attempts) == 1
    assert model.requests[0].prompt == "Q: 6*7?\nA:"


def test_reask_sends_the_feedback_and_keeps_the_trace() -> None:
    model = ScriptedModel(["forty-two", "42"])
    result = Guard(model, "Q: {{ q }}\nA:", Digits(), stream=False).run(q="6*7?")
    assert result.ok and result.value == 42
    assert [a.verdict.ok for a in result.attempts] == [False, True]
    second = model.requests[1].prompt or ""
    assert "character 0 is not a digit" in second and second.endswith("Q: 6*7?\nA:")
    trace = result.format_trace()
    assert "#0 [initial] rejected" in trace and "#1 [reask] accepted" in trace
    assert "feedback: Answer with digits only" in trace
    assert result.usage.calls == 2
    assert result.to_dict()["attempts"][0]["verdict"]["errors"][0]["offset"] == 0


def test_refine_shows_the_previous_output_and_its_error() -> None:
    model = ScriptedModel(["4x2", "42"])
    Guard(model, "Q:", Digits(), repair=Refine(), stream=False).run()
    second = model.requests[1].prompt or ""
    assert second.startswith("Q:4x2\n") and "has an error: Answer with digits only; character 1" in second


def test_simplify_asks_for_only_what_is_expected() -> None:
    model = ScriptedModel(["The answer is 42", "42"])
    Guard(model, "Q:", Digits(), repair=Simplify(), stream=False).run()
    assert "Reply with only a digit" in (model.requests[1].prompt or "")


def test_resample_draws_new_samples_at_a_raised_temperature() -> None:
    model = ScriptedModel(["no", "nope", "7"])
    result = Guard(model, "Q:", Digits(), repair=Resample(temperature=0.9), stream=False).run()
    assert result.ok and result.value == 7
    assert [r.sample for r in model.requests] == [0, 1, 2]
    assert [r.temperature for r in model.requests] == [0.0, 0.9, 0.9]


def test_chat_requests_get_the_repair_as_a_user_turn() -> None:
    model = ScriptedModel(["x", "5"])
    Guard(model, "How many?", Digits(), chat=True, system="Answer with a number.", stream=False).run()
    messages = model.requests[1].messages or ()
    assert [m.role for m in messages] == ["system", "user", "user"]
    assert "rejected" in messages[-1].content


def test_stops_when_the_same_error_repeats() -> None:
    model = ScriptedModel(["abc", "abc", "abc", "abc"])
    result = Guard(model, "Q:", Digits(), budget=Budget(attempts=4), stream=False).run()
    assert not result.ok and result.value is None
    assert result.stop_reason == "repeated_error" and len(result.attempts) == 2


def test_attempt_budget() -> None:
    model = ScriptedModel(["a", "b!", "c!!", "d"])
    result = Guard(model, "Q:", Digits(), budget=Budget(attempts=3), stream=False).run()
    assert result.stop_reason == "attempts" and len(result.attempts) == 3


def test_token_budget() -> None:
    model = ScriptedModel(["one two three four", "five six seven eight", "9"])
    # prompt + completion tokens: the first attempt costs 1 + 4 (scripted models count words)
    result = Guard(model, "Q:", Digits(), budget=Budget(attempts=5, tokens=5), stream=False).run()
    assert result.stop_reason == "tokens" and len(result.attempts) == 1
    assert result.attempts[0].tokens == 5


def test_seconds_budget_cuts_a_slow_model() -> None:
    model = ScriptedModel(["1" * 50], chunk=1, delay_s=0.05)
    result = Guard(model, "Q:", Digits(), budget=Budget(seconds=0.2)).run()
    assert not result.ok and result.stop_reason == "seconds"


def test_stream_is_cut_as_soon_as_no_continuation_can_be_accepted() -> None:
    model = ScriptedModel(["12ab" + "z" * 1000, "42"], chunk=8)
    result = Guard(model, "Q:", Digits(), max_tokens=2000).run()
    assert result.ok and result.value == 42
    first = result.attempts[0]
    assert first.aborted_at == 3  # "12a" is the shortest prefix no continuation can fix
    assert first.completion is not None and first.completion.finish_reason == "aborted"
    assert model.chars_generated < 30  # the 1000 junk characters were never generated
    assert first.verdict.errors[0].offset == 2
    assert result.tokens_saved_by_abort > 0


def test_case_data_is_never_template_source() -> None:
    model = ScriptedModel(["1"])
    Guard(model, "Q: {{ q }}", Digits()).run(q="{{ ''.__class__ }} {% for x in y %}")
    assert model.requests[0].prompt == "Q: {{ ''.__class__ }} {% for x in y %}"


def test_request_builder_callable() -> None:
    model = ScriptedModel(["3"])

    def build(n: int) -> Request:
        return Request(messages=(Message(role="user", content=f"{n}+1?"),), max_tokens=3)

    assert Guard(model, build, Digits()).run(n=2).value == 3
    with pytest.raises(ValueError, match="unknown repair strategy"):
        Guard(model, build, Digits(), repair="pray")


async def test_async_api() -> None:
    result = await Guard(ScriptedModel(["8"]), "Q:", Digits()).arun()
    assert result.ok and result.value == 8
