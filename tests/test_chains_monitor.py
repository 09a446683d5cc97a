"""Running chains for real (scripted models) and the runtime monitors that stop them before a violation."""

from __future__ import annotations

import pytest

from guardrail.chains import (
    Assign,
    Branch,
    Break,
    Chain,
    Final,
    Loop,
    ModelStep,
    Terminates,
    ToolStep,
    run_chain,
)
from guardrail.checks import Automaton, Grammar
from guardrail.errors import ConfigurationError
from guardrail.models import ScriptedModel

ACTION = Automaton.regex("search|confirm|send|done", name="action")
YES_NO = Grammar.from_file("yes_no")


class Mailbox:
    """Records what the tools did, so tests can see that a stopped step never ran."""

    def __init__(self, approve: bool = True):
        self.sent: list[str] = []
        self.approve = approve

    def chain(self, *, safe: bool) -> Chain:
        def search(query: str) -> list[str]:
            return [f"Re: {query}"]

        def confirm(query: str) -> bool:
            return self.approve

        def send(query: str) -> None:
            self.sent.append(query)

        sending = (
            [ToolStep(confirm, name="approved"), Branch("approved", {True: [ToolStep(send), Break()]})]
            if safe
            else [ToolStep(send), Break()]
        )
        return Chain(
            [
                Assign("found", []),
                Loop(
                    [
                        ModelStep("action", "{{ query }} {{ found }}", ACTION),
                        Branch(
                            "action",
                            {"search": [ToolStep(search, name="found")], "send": sending, "done": [Break()]},
                        ),
                    ],
                    max_iterations=3,
                ),
            ],
            final="action",
            inputs={"query": str},
        )


def test_monitor_stops_the_run_before_the_violating_tool_call() -> None:
    box = Mailbox()
    model = ScriptedModel(["search", "send"])
    result = run_chain(
        box.chain(safe=False), model, monitor=["never send before confirm"], inputs={"query": "invoice"}
    )
    assert not result.ok and result.stop_reason == "violation"
    assert box.sent == []  # the tool never ran
    assert result.violation is not None and result.violation.event == "send"
    assert result.violation.property == "never send before confirm"
    assert result.events == ["action", "search", "action"]
    assert [s.output for s in result.trace if s.kind == "model"] == ["search", "send"]


def test_without_a_monitor_the_same_run_sends() -> None:
    box = Mailbox()
    result = run_chain(box.chain(safe=False), ScriptedModel(["search", "send"]), inputs={"query": "invoice"})
    assert result.ok and result.stop_reason == "final" and box.sent == ["invoice"]


def test_monitor_lets_a_compliant_run_finish() -> None:
    box = Mailbox(approve=True)
    result = run_chain(
        box.chain(safe=True),
        ScriptedModel(["send"]),
        monitor=["never send before confirm"],
        inputs={"query": "hi"},
    )
    assert result.ok and result.output == "send" and box.sent == ["hi"]
    assert result.events == ["action", "confirm", "send", "final"]


def test_termination_monitor_stops_before_the_call_over_budget() -> None:
    box = Mailbox()
    model = ScriptedModel(["search", "search", "search"])
    result = run_chain(box.chain(safe=True), model, monitor=[Terminates(2)], inputs={"query": "q"})
    assert result.stop_reason == "violation" and len(model.requests) == 2
    assert (
        result.violation is not None
        and "model call 3 would exceed the bound of 2" in result.violation.message
    )


def test_final_monitor_stops_a_bad_final_output() -> None:
    chain = Chain([ModelStep("answer", "?", Grammar.from_file("choice_ae"))], final="answer")
    result = run_chain(chain, ScriptedModel(["(B)"]), monitor=["final-regex:[A-E]"])
    assert result.stop_reason == "violation" and result.output is None
    assert result.violation is not None and '"(B)" fails' in result.violation.message
    good = run_chain(chain, ScriptedModel(["B"]), monitor=["final-regex:[A-E]"])
    assert good.ok and good.output == "B" and good.value == "B"


def test_results_used_monitor_stops_at_the_end() -> None:
    def lookup(q: str) -> str:
        return q.upper()

    chain = Chain(
        [ToolStep(lookup, name="found"), ModelStep("a", "{{ q }}", YES_NO)], final="a", inputs={"q": str}
    )
    result = run_chain(
        chain, ScriptedModel(["yes"]), monitor=["every tool result is used"], inputs={"q": "x"}
    )
    assert result.stop_reason == "violation" and result.violation is not None
    assert result.violation.event == "final"
    assert result.violation.message == "the result of tool lookup -> 'found' is never read"


def test_model_rejection_and_tool_error_end_the_run_as_values() -> None:
    def explode(a: bool) -> int:
        raise RuntimeError("disk full")

    chain = Chain([ModelStep("a", "?", YES_NO, attempts=2), ToolStep(explode, name="n")], final="a")
    rejected = run_chain(chain, ScriptedModel(["maybe", "perhaps"]))
    assert rejected.stop_reason == "rejected" and "no acceptable answer after 2 attempt(s)" in rejected.detail
    failed = run_chain(chain, ScriptedModel(["yes"]))
    assert failed.stop_reason == "tool_error" and "disk full" in failed.detail


def test_values_texts_and_templates() -> None:
    chain = Chain(
        [ModelStep("ok", "?", YES_NO), ModelStep("raw", "{{ ok }}", YES_NO, output="text")],
        final=Final(template="{{ ok }}/{{ raw }}"),
    )
    model = ScriptedModel([" YES ", "No"])
    result = run_chain(chain, model)
    assert result.ok and result.output == "True/No"
    assert model.requests[1].prompt == "True"


def test_a_tool_result_outside_its_declared_type_stops_the_run() -> None:
    # The verifier models tools by their types; a run that breaks that assumption is not continued.
    def approve(q: str) -> bool:
        return "yes"  # type: ignore[return-value]

    chain = Chain([ToolStep(approve, name="ok")], final="ok", inputs={"q": str})
    result = run_chain(chain, ScriptedModel([]), inputs={"q": "?"})
    assert result.stop_reason == "tool_error" and "not a value of the declared type" in result.detail


def test_inputs_must_match() -> None:
    typed = Chain([ModelStep("a", "{{ q }}", YES_NO)], final="a", inputs={"q": int})
    with pytest.raises(ConfigurationError, match=r'input .q. is "x", not a value of the declared type'):
        run_chain(typed, ScriptedModel(["yes"]), inputs={"q": "x"})
    chain = Chain([ModelStep("a", "{{ q }}", YES_NO)], final="a", inputs=["q"])
    with pytest.raises(ConfigurationError, match="missing: q"):
        run_chain(chain, ScriptedModel(["yes"]))
    with pytest.raises(ConfigurationError, match="not tool steps"):
        run_chain(chain, ScriptedModel(["yes"]), tools={"nope": print}, inputs={"q": "x"})


def test_loop_bound_and_break() -> None:
    counted: list[int] = []

    def tick(n: int) -> int:
        counted.append(n)
        return n + 1

    chain = Chain(
        [
            Assign("n", 0),
            Loop(
                [
                    ToolStep(tick, name="n"),
                    ModelStep("more", "{{ n }}", YES_NO),
                    Branch("more", {False: [Break()]}),
                ],
                3,
            ),
        ],
        final="n",
    )
    assert run_chain(chain, ScriptedModel(["yes", "yes", "yes"])).value == 3
    assert run_chain(chain, ScriptedModel(["yes", "no"])).value == 2
    assert counted == [0, 1, 2, 0, 1]


def test_construction_errors_say_what_to_fix() -> None:
    with pytest.raises(ConfigurationError, match="Break outside of any Loop"):
        Chain([Break()], final=Final(template="x"))
    with pytest.raises(ConfigurationError, match="reserved"):
        ModelStep("a", "?", YES_NO, event="final")
    with pytest.raises(ConfigurationError, match="not a parameter"):
        ToolStep(len, name="n", args={"nope": "x"})
