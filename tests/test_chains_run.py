"""A model step's Prompt reaches the model as built, and every early stop of a run is an error with a code."""

from __future__ import annotations

import pytest

from guardrail.chains import (
    Assign,
    Branch,
    Chain,
    Counterexample,
    Final,
    ModelStep,
    ToolStep,
    Unknown,
    run_chain,
    verify,
)
from guardrail.checks import Automaton, Grammar
from guardrail.errors import ConfigurationError
from guardrail.models import ScriptedModel
from guardrail.prompt import Prompt, Template

YES_NO = Grammar.from_file("yes_no")


def test_a_steps_temperature_and_stop_reach_the_model() -> None:
    step = ModelStep("ok", "Is {{ q }} true?", YES_NO, temperature=0.7, stop=["\n"], max_tokens=5)
    model = ScriptedModel(["yes\nand more"])
    result = run_chain(Chain([step], final="ok", inputs={"q": str}), model, inputs={"q": "the sky blue"})
    assert result.ok and result.value is True and result.output == "yes"  # cut at the stop sequence
    (request,) = model.requests
    assert request.prompt == "Is the sky blue true?"
    assert (request.temperature, request.stop, request.max_tokens) == (0.7, ("\n",), 5)


def test_a_step_takes_a_prompt_with_chat_and_system() -> None:
    prompt = Prompt("Is {{ q }} true?", chat=True, system="Answer yes or no.", params={"temperature": 0.2})
    step = ModelStep("ok", prompt, YES_NO, stop="\n")  # the shorthand adds to the prompt's own params
    model = ScriptedModel(["no"])
    result = run_chain(Chain([step], final="ok", inputs={"q": str}), model, inputs={"q": "water dry"})
    assert result.ok and result.value is False
    (request,) = model.requests
    assert request.prompt is None and request.messages is not None
    assert [(m.role, m.content) for m in request.messages] == [
        ("system", "Answer yes or no."),
        ("user", "Is water dry true?"),
    ]
    assert request.temperature == 0.2 and request.stop == ("\n",)
    assert step.prompt.params["temperature"] == 0.2 and step.reads == {"q"}


def test_shorthands_override_the_prompts_own_settings() -> None:
    step = ModelStep("ok", Prompt("?", params={"temperature": 0.9, "max_tokens": 9}), YES_NO, temperature=0.0)
    assert dict(step.prompt.params) == {"temperature": 0.0, "max_tokens": 9}
    chat = ModelStep("ok", Prompt("?"), YES_NO, chat=True, system="Be brief.")
    assert chat.prompt.chat and chat.prompt.system == "Be brief."
    unchanged = ModelStep("ok", Prompt("?", chat=True, system="s"), YES_NO)  # None: keep the prompt's own
    assert unchanged.prompt.chat and unchanged.prompt.system == "s"


def test_bad_prompt_settings_fail_when_the_step_is_made() -> None:
    with pytest.raises(ConfigurationError, match=r"model step 'ok'.*temperature"):
        ModelStep("ok", "?", YES_NO, temperature=5.0)
    with pytest.raises(ConfigurationError, match=r"model step 'ok'.*system message needs chat=True"):
        ModelStep("ok", "?", YES_NO, system="be brief")
    with pytest.raises(ConfigurationError, match="must be a guardrail Template"):

        class Plain:
            def render(self, **variables: object) -> str:
                return "?"

        ModelStep("ok", Prompt(Plain()), YES_NO)


def test_the_old_template_keyword_still_works_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="prompt="):
        step = ModelStep("ok", template="{{ q }}?", check=YES_NO)
    assert isinstance(step.template, Template) and step.reads == {"q"}
    with pytest.raises(ConfigurationError, match="needs a prompt"):
        ModelStep("ok", check=YES_NO)


def test_retries_keep_the_steps_settings() -> None:
    step = ModelStep("ok", "?", YES_NO, temperature=0.5, stop=["!"], attempts=2)
    model = ScriptedModel(["maybe", "yes"])
    assert run_chain(Chain([step], final="ok"), model).ok
    assert [(r.temperature, r.stop) for r in model.requests] == [(0.5, ("!",)), (0.5, ("!",))]
    assert "rejected" in (model.requests[1].prompt or "")  # the repair quoted the check's feedback


def test_a_stop_sequence_that_rules_out_the_violating_output_is_not_a_counterexample() -> None:
    # The verifier reasons from the check's language; "send" cannot come back through stop=["send"], so the
    # abstract violation does not replay, and the answer is unknown (never a counterexample that cannot be).
    def send(x: str) -> None:
        return None

    action = Automaton.regex("send|done", name="action")
    stopped = ModelStep("action", "?", action, stop=["send"])
    chain = Chain([stopped, Branch("action", {"send": [ToolStep(send, args={"x": "action"})]})], "action")
    answer = verify(chain, "never send")
    assert isinstance(answer, Unknown) and "did not replay" in answer.reason
    free = Chain(
        [
            ModelStep("action", "?", action),
            Branch("action", {"send": [ToolStep(send, args={"x": "action"})]}),
        ],
        "action",
    )
    assert isinstance(verify(free, "never send"), Counterexample)


# -- early stops are errors with stable codes -----------------------------------------------------------


def test_a_rejected_step_has_the_code_chain_step_rejected() -> None:
    chain = Chain([ModelStep("ok", "?", YES_NO, attempts=2)], final="ok")
    result = run_chain(chain, ScriptedModel(["maybe", "perhaps"]))
    assert result.stop_reason == "rejected" and result.error is not None
    assert result.error.code == "chain.step_rejected"
    last = result.guard_results[-1].last
    assert last is not None and result.error.found == last.output  # the stream was cut where it went wrong
    assert result.error.check == YES_NO.name and "perhaps".startswith(result.error.found or "?")
    assert result.to_dict()["error"]["code"] == "chain.step_rejected"


def test_tool_errors_have_codes() -> None:
    def explode(a: bool) -> int:
        raise RuntimeError("disk full")

    def liar(a: bool) -> int:
        return "seven"  # type: ignore[return-value]

    raised = run_chain(
        Chain([ModelStep("a", "?", YES_NO), ToolStep(explode)], final="a"), ScriptedModel(["yes"])
    )
    assert raised.error is not None and raised.error.code == "chain.tool_error"
    assert raised.error.found == "RuntimeError" and "disk full" in raised.error.message
    wrong = run_chain(Chain([ModelStep("a", "?", YES_NO), ToolStep(liar)], final="a"), ScriptedModel(["yes"]))
    assert wrong.stop_reason == "tool_error" and wrong.error is not None
    assert wrong.error.code == "chain.tool_result_type" and wrong.error.found == '"seven"'


def test_a_monitor_stop_has_the_code_chain_property_violated() -> None:
    chain = Chain([ModelStep("answer", "?", Grammar.from_file("choice_ae"))], final="answer")
    result = run_chain(chain, ScriptedModel(["(B)"]), monitor=["final-regex:[A-E]"])
    assert result.error is not None and result.error.code == "chain.property_violated"
    assert result.error.check == "final-regex:[A-E]" and result.error.found == "final"


def test_an_undefined_value_has_the_code_chain_value_undefined() -> None:
    chain = Chain(
        [ModelStep("ok", "?", YES_NO), Branch("ok", {True: [Assign("x", 1)]})], final=Final(value="x")
    )
    assert run_chain(chain, ScriptedModel(["yes"])).value == 1
    result = run_chain(chain, ScriptedModel(["no"]))
    assert result.stop_reason == "undefined" and result.error is not None
    assert result.error.code == "chain.value_undefined" and "reads x" in result.error.message


def test_a_finished_run_has_no_error() -> None:
    result = run_chain(Chain([ModelStep("ok", "?", YES_NO)], final="ok"), ScriptedModel(["yes"]))
    assert result.ok and result.error is None and result.to_dict()["error"] is None
