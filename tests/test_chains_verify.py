"""Verifying chains: proven, counterexample or unknown for each kind of property, never a false proof."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import Field

from guardrail.chains import (
    Assign,
    AutomatonProperty,
    Branch,
    Break,
    Chain,
    Counterexample,
    EventDFA,
    EventRegex,
    FinalPasses,
    Loop,
    ModelStep,
    Never,
    Proven,
    ResultsUsed,
    Terminates,
    ToolStep,
    Unknown,
    parse_property,
    verify,
)
from guardrail.checks import Automaton, Grammar, Predicate, Schema
from guardrail.errors import ConfigurationError

ACTION = Automaton.regex("search|confirm|send|done", name="action")
YES_NO = Grammar.from_file("yes_no")


def search(query: str) -> list[str]:
    return [query]


def ask_user() -> bool:
    return True


def send(body: str) -> None:
    return None


def poll() -> bool:
    return False


def untyped_lookup(query):  # type: ignore[no-untyped-def]  # deliberately without hints
    return query


def agent(cases: dict[Any, list[Any]], *, turns: int | None = 3) -> Chain:
    return Chain(
        [
            Loop(
                [ModelStep("action", "Next action for {{ query }}:", ACTION), Branch("action", cases)], turns
            ),
        ],
        final="action",
        inputs={"query": str},
        name="agent",
    )


UNSAFE = agent(
    {
        "search": [ToolStep(search, name="found")],
        "confirm": [ToolStep(ask_user, name="approved")],
        "send": [ToolStep(send, args={"body": "query"})],
        "done": [Break()],
    }
)
SAFE = agent(
    {
        "search": [ToolStep(search, name="found")],
        "send": [
            ToolStep(ask_user, name="approved"),
            Branch("approved", {True: [ToolStep(send, args={"body": "query"})]}),
        ],
        "done": [Break()],
    }
)


def assert_outputs_pass_their_checks(answer: Counterexample, chain: Chain) -> None:
    """Each model output in the trace is accepted by its step's check (re-run here, independently)."""
    checks = {s.describe(): s.check for s in chain.walk() if isinstance(s, ModelStep)}
    model_steps = [s for s in answer.trace if s.kind == "model" and not s.stopped]
    assert model_steps, "a counterexample through model steps shows their outputs"
    for step in model_steps:
        assert step.output is not None
        verdict = checks[step.step].check(step.output)
        assert verdict.ok, f"{step.output!r} is rejected by the check of {step.step}"
        assert verdict.value == step.value


# -- trace properties ----------------------------------------------------------------------------------


def test_never_before_gives_a_shortest_concrete_counterexample() -> None:
    answer = verify(UNSAFE, "never send before confirm")
    assert isinstance(answer, Counterexample)
    assert answer.outputs == ["send"]  # the first turn already sends
    assert answer.trace[-1].stopped and answer.trace[-1].event == "send"
    assert_outputs_pass_their_checks(answer, UNSAFE)


def test_never_before_proven_when_every_send_is_preceded_by_a_confirmation() -> None:
    answer = verify(SAFE, Never("send", before="ask_user"))
    assert isinstance(answer, Proven) and "abstract states" in answer.detail


def test_never_after_and_never() -> None:
    after = verify(UNSAFE, "never search after send")
    assert isinstance(after, Counterexample) and after.outputs == ["send", "search"]
    assert_outputs_pass_their_checks(after, UNSAFE)
    assert isinstance(verify(SAFE, "never search after send"), Counterexample)
    quiet = agent({"done": [Break()]})
    assert isinstance(verify(quiet, "never action after final"), Proven)


def test_misspelt_event_is_an_error_naming_the_events() -> None:
    with pytest.raises(ConfigurationError, match=r"emits the event 'send_mail'.*send"):
        verify(UNSAFE, "never send_mail before confirm")


def test_event_regex_proven_and_refuted() -> None:
    assert isinstance(verify(SAFE, EventRegex("(action (search | ask_user send?)?)* final")), Proven)
    answer = verify(UNSAFE, "regex:(action search?)* final")
    assert isinstance(answer, Counterexample)
    assert_outputs_pass_their_checks(answer, UNSAFE)
    with pytest.raises(ConfigurationError, match="unexpected '#'"):
        verify(UNSAFE, "regex:action # final")


def test_event_automaton_over_event_names() -> None:
    # states: "idle" until ask_user, then "armed"; send only when armed
    property_ = EventDFA(
        states=["idle", "armed"],
        start="idle",
        accepting=["idle", "armed"],
        transitions={"idle": {"ask_user": "armed", "send": "idle", "*": "idle"}, "armed": {"*": "armed"}},
    )
    assert isinstance(verify(UNSAFE, property_), Proven)  # every send is fine in this (loose) DFA
    strict = EventDFA(
        ["idle", "armed"],
        "idle",
        ["idle", "armed"],
        {
            "idle": {"ask_user": "armed", "action": "idle", "search": "idle", "final": "idle"},
            "armed": {"*": "armed"},
        },
    )
    answer = verify(UNSAFE, strict)
    assert isinstance(answer, Counterexample) and answer.trace[-1].event == "send"


def test_guardrail_automaton_with_a_symbol_map() -> None:
    no_send_before_ask = ~Automaton.regex("[^c]*s.*")
    symbols = {"send": "s", "ask_user": "c"}
    assert isinstance(verify(SAFE, AutomatonProperty(no_send_before_ask, symbols)), Proven)
    answer = verify(UNSAFE, AutomatonProperty(no_send_before_ask, symbols))
    assert isinstance(answer, Counterexample) and answer.outputs == ["send"]


def test_every_tool_result_is_used() -> None:
    used = Chain(
        [ToolStep(search, name="found"), ModelStep("answer", "{{ found }}", YES_NO)],
        final="answer",
        inputs={"query": str},
    )
    assert isinstance(verify(used, ResultsUsed()), Proven)
    unused = Chain(
        [ToolStep(search, name="found"), ModelStep("answer", "{{ query }}", YES_NO)],
        final="answer",
        inputs={"query": str},
    )
    answer = verify(unused, "every tool result is used")
    assert isinstance(answer, Counterexample) and answer.trace[-1].kind == "final"
    # a result overwritten before anyone read it is unused too
    overwritten = Chain(
        [
            ToolStep(search, name="found"),
            ToolStep(search, name="found"),
            ModelStep("a", "{{ found }}", YES_NO),
        ],
        final="a",
        inputs={"query": str},
    )
    assert isinstance(verify(overwritten, "results-used"), Counterexample)


def test_defined_finds_a_read_before_definition_on_one_path() -> None:
    chain = Chain(
        [
            ModelStep("ok", "Go?", YES_NO),
            Branch("ok", {True: [ToolStep(search, name="found", args={"query": "ok_text"})]}),
            ModelStep("answer", "{{ found }}", YES_NO),
        ],
        final="answer",
        inputs={"ok_text": str},
    )
    answer = verify(chain, "defined")
    assert isinstance(answer, Counterexample)
    assert answer.outputs == ["no"] and "found" in answer.violation
    fixed = Chain([Assign("found", []), *chain.steps], final="answer", inputs={"ok_text": str})
    assert isinstance(verify(fixed, "defined"), Proven)


# -- termination ---------------------------------------------------------------------------------------


def test_termination_proven_with_the_exact_bound() -> None:
    answer = verify(SAFE, Terminates(3))
    assert isinstance(answer, Proven) and "at most 3 model call(s)" in answer.detail


def test_termination_counterexample_makes_one_call_too_many() -> None:
    answer = verify(SAFE, "terminates:2")
    assert isinstance(answer, Counterexample)
    assert len(answer.outputs) == 2 and answer.trace[-1].kind == "model" and answer.trace[-1].stopped
    assert_outputs_pass_their_checks(answer, SAFE)


def test_unbounded_loop_the_model_can_keep_going_is_a_true_counterexample() -> None:
    endless = agent({"done": [Break()]}, turns=None)
    answer = verify(endless, "terminates:5")
    assert isinstance(answer, Counterexample) and len(answer.outputs) == 5
    assert "done" not in answer.outputs


def test_unbounded_loop_without_model_calls_is_unknown() -> None:
    waiting = Chain(
        [
            Loop([ToolStep(poll, name="ready"), Branch("ready", {True: [Break()]})], None, name="wait"),
            ModelStep("answer", "Ready.", YES_NO),
        ],
        final="answer",
    )
    answer = verify(waiting, "terminates:1")
    assert isinstance(answer, Unknown)
    assert answer.reason.startswith("because loop 'wait' (no bound) has no max_iterations")


def test_unbounded_loop_ended_by_an_unenumerable_check_is_unknown() -> None:
    stop_word = Predicate(lambda s: s.strip() in ("stop", "go"), name="stop_or_go")
    loop = Chain(
        [
            Loop(
                [
                    ModelStep("word", "Say stop or go.", stop_word, examples=("go",)),
                    Branch("word", {"stop": [Break()]}),
                ],
                None,
            )
        ],
        final="word",
    )
    answer = verify(loop, "terminates:3")
    assert isinstance(answer, Unknown)
    assert "over-approximated" in answer.reason and "stop_or_go is a Python function" in answer.reason


def test_unbounded_loop_that_always_breaks_is_proven() -> None:
    once = Chain([Loop([ModelStep("a", "?", YES_NO), Break()], None)], final="a")
    answer = verify(once, "terminates:1")
    assert isinstance(answer, Proven) and "at most 1 model call" in answer.detail


# -- the final output ----------------------------------------------------------------------------------


def test_final_from_the_same_grammar_is_proven() -> None:
    chain = Chain([ModelStep("code", "Write code.", Grammar.from_file("sexpr"), output="text")], final="code")
    assert isinstance(verify(chain, "final:sexpr"), Proven)


def test_final_regular_inclusion_proven_and_refuted() -> None:
    chain = Chain([ModelStep("answer", "?", Grammar.from_file("choice_ae"))], final="answer")
    assert isinstance(verify(chain, FinalPasses(Automaton.regex(r"\s*(\(\s*)?[A-E](\s*\))?\s*"))), Proven)
    answer = verify(chain, "final-regex:[A-E]")
    assert isinstance(answer, Counterexample)
    (output,) = answer.outputs
    assert Grammar.from_file("choice_ae").check(output).ok
    assert not Automaton.regex("[A-E]").check(output).ok
    assert_outputs_pass_their_checks(answer, chain)


def test_final_inclusion_respects_the_property_length_limit() -> None:
    chain = Chain([ModelStep("answer", "?", Automaton.regex("[a-z]+"))], final="answer")
    assert isinstance(verify(chain, FinalPasses(Automaton.regex("[a-z]*"))), Proven)
    answer = verify(chain, FinalPasses(Automaton.regex("[a-z]*", max_chars=10)))
    assert isinstance(answer, Unknown) and "over 10 characters" in answer.reason


def test_final_of_a_finite_automaton_step_is_decided_by_enumeration() -> None:
    chain = Chain([ModelStep("answer", "?", Automaton.regex("yes|no|maybe"))], final="answer")
    assert isinstance(verify(chain, "final:yes_no"), Counterexample)
    narrower = Chain([ModelStep("answer", "?", Automaton.regex("yes|no"))], final="answer")
    assert isinstance(verify(narrower, "final:yes_no"), Proven)


def test_final_of_a_context_free_step_against_a_regex_is_unknown() -> None:
    chain = Chain([ModelStep("code", "Write code.", Grammar.from_file("sexpr"), output="text")], final="code")
    answer = verify(chain, r"final-regex:\(define.*")
    assert isinstance(answer, Unknown) and "no known regular language" in answer.reason


def test_final_from_constants_and_branches() -> None:
    chain = Chain(
        [
            ModelStep("ok", "?", YES_NO),
            Branch("ok", {True: [Assign("status", "sent")]}, otherwise=[Assign("status", "held back")]),
        ],
        final="status",
    )
    assert isinstance(verify(chain, "final-regex:sent|held back"), Proven)
    answer = verify(chain, "final-regex:sent")
    assert isinstance(answer, Counterexample) and answer.outputs == ["no"]


def test_final_rendered_from_a_template_is_unknown() -> None:
    from guardrail.chains import Final

    chain = Chain([ModelStep("a", "?", YES_NO)], final=Final(template="Answer: {{ a }}"))
    answer = verify(chain, "final:yes_no")
    assert isinstance(answer, Unknown) and "template" in answer.reason


# -- honest unknowns -----------------------------------------------------------------------------------


def test_a_tool_without_type_hints_makes_the_answer_unknown() -> None:
    chain = Chain(
        [ToolStep(untyped_lookup, name="found"), ModelStep("answer", "{{ found }}", YES_NO)],
        final="answer",
        inputs={"query": str},
    )
    for prop in ("terminates:1", "every tool result is used", "final:yes_no"):
        answer = verify(chain, prop)
        assert isinstance(answer, Unknown), prop
        assert "'untyped_lookup' has no type hint for query, return" in answer.reason


def test_untyped_tool_does_not_hide_a_real_counterexample_before_it() -> None:
    chain = Chain(
        [
            ModelStep("go", "?", YES_NO),
            Branch("go", {True: [ToolStep(send, args={"body": "q"})]}),
            ToolStep(untyped_lookup, name="found", args={"query": "q"}),
        ],
        final="go",
        inputs={"q": str},
    )
    answer = verify(chain, "never send")
    assert isinstance(answer, Counterexample) and answer.outputs == ["yes"]


def test_predicate_in_a_branch_unknown_when_only_it_leads_to_the_violation() -> None:
    polite = Predicate(lambda s: "please" in s, name="polite")
    chain = Chain(
        [
            ModelStep("request", "Ask politely.", polite, examples=("please",)),
            Branch("request", {"please send": [ToolStep(send, args={"body": "request"})]}),
        ],
        final="request",
    )
    answer = verify(chain, "never send")
    assert isinstance(answer, Unknown)
    assert "branch on 'request' is over-approximated" in answer.reason and "polite" in answer.reason


def test_predicate_in_a_branch_still_allows_a_proof_covering_every_case() -> None:
    polite = Predicate(lambda s: "please" in s, name="polite")
    chain = Chain(
        [
            ModelStep("request", "Ask politely.", polite),
            Branch(
                "request",
                {
                    "please send": [
                        ToolStep(search, args={"query": "request"}),
                        ToolStep(send, args={"body": "request"}),
                    ]
                },
            ),
        ],
        final="request",
    )
    answer = verify(chain, "never send before search")
    assert isinstance(answer, Proven) and "over-approximated" in answer.detail


def test_predicate_output_needs_examples_for_a_concrete_counterexample() -> None:
    free = Predicate(lambda s: len(s) < 50, name="short")
    chain = Chain([ModelStep("note", "Note?", free), ToolStep(send, args={"body": "note"})], final="note")
    answer = verify(chain, "never send")
    assert isinstance(answer, Unknown) and "give the step examples=[...]" in answer.reason
    with_example = Chain(
        [ModelStep("note", "Note?", free, examples=("ok",)), ToolStep(send, args={"body": "note"})],
        final="note",
    )
    answer = verify(with_example, "never send")
    assert isinstance(answer, Counterexample) and answer.outputs == ["ok"]


def test_unbounded_loop_over_a_wide_integer_range_explores_finitely() -> None:
    number = Schema(Annotated[int, Field(ge=0, le=100_000)])
    chain = Chain(
        [
            Loop(
                [
                    ModelStep("n", "Pick.", number),
                    Branch("n", {0: [Break()], 7: [ToolStep(send, args={"body": "n"})]}),
                ],
                None,
            )
        ],
        final="n",
    )
    answer = verify(chain, "never send")
    assert isinstance(answer, Counterexample) and answer.outputs == ["7"]
    assert isinstance(verify(chain, "defined"), Proven)


def test_nested_loops_multiply_their_bounds() -> None:
    inner = Loop([ModelStep("more", "?", YES_NO), Branch("more", {False: [Break()]})], 3, name="inner")
    chain = Chain([Loop([inner, ModelStep("again", "?", YES_NO)], 2, name="outer")], final="again")
    answer = verify(chain, "terminates:8")
    assert isinstance(answer, Proven) and "at most 8 model call(s)" in answer.detail
    too_many = verify(chain, "terminates:7")
    assert isinstance(too_many, Counterexample)
    assert too_many.outputs == ["yes", "yes", "yes", "yes", "yes", "yes", "yes"]


def test_verification_never_calls_the_real_tools() -> None:
    calls: list[str] = []

    def deliver(body: str) -> bool:
        calls.append(body)
        return True

    chain = Chain(
        [ModelStep("go", "?", YES_NO), Branch("go", {True: [ToolStep(deliver, args={"body": "q"})]})],
        final="go",
        inputs={"q": str},
    )
    for prop in ("never deliver", "every tool result is used", "terminates:0", "final:yes_no"):
        verify(chain, prop)
    assert calls == []


def test_exploration_bound_gives_unknown_not_proven() -> None:
    answer = verify(SAFE, "never send before ask_user", max_states=5)
    assert isinstance(answer, Unknown) and "stopped at 5 states" in answer.reason


def test_tool_result_branches_are_exact_by_type() -> None:
    def grade(answer: bool) -> Literal["pass", "fail"]:
        return "pass" if answer else "fail"

    chain = Chain(
        [
            ModelStep("answer", "?", YES_NO),
            ToolStep(grade, name="result"),
            Branch("result", {"fail": [ToolStep(send, args={"body": "result"})]}),
        ],
        final="answer",
    )
    answer = verify(chain, "never send")
    assert isinstance(answer, Counterexample)
    (tool_step,) = [s for s in answer.trace if s.kind == "tool" and not s.stopped]
    assert tool_step.value == "fail" and "assumed" in tool_step.note


def test_a_step_reading_a_value_nothing_defines_is_a_construction_error() -> None:
    with pytest.raises(
        ConfigurationError, match="tool send reads 'draft', which no input, step or assignment"
    ):
        Chain([ToolStep(send, args={"body": "draft"})], final="send")


def test_property_text_syntax() -> None:
    assert parse_property("terminates within 4 model calls") == Terminates(4)
    assert parse_property("never a before b") == Never("a", before="b")
    assert isinstance(parse_property("final:yes_no"), FinalPasses)
    with pytest.raises(ConfigurationError, match="cannot read the property"):
        parse_property("always be nice")
