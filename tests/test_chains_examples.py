"""The three example chains in examples/chains/ (what docs/chains.md claims of them) and the CLI command."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from guardrail.chains import Chain, Counterexample, ModelStep, Proven, Unknown, load_chain, run_chain, verify
from guardrail.cli.verify import verify_command
from guardrail.errors import ConfigurationError
from guardrail.models import ScriptedModel

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "chains"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "chains.md"


def example(name: str) -> Chain:
    return load_chain(f"{EXAMPLES / name}")


def checks_of(chain: Chain) -> dict[str, object]:
    return {s.describe(): s.check for s in chain.walk() if isinstance(s, ModelStep)}


def assert_replayable(answer: Counterexample, chain: Chain) -> None:
    checks = checks_of(chain)
    for step in answer.trace:
        if step.kind == "model" and not step.stopped:
            assert checks[step.step].check(step.output).ok  # type: ignore[attr-defined]


def test_email_agent_unsafe_has_a_counterexample_and_safe_is_proven() -> None:
    unsafe = example("email_agent.py:UNSAFE")
    answer = verify(unsafe, "never send_email before confirm")
    assert isinstance(answer, Counterexample)
    assert answer.outputs[0] == "send_email" and answer.trace[-1].event == "send_email"
    assert_replayable(answer, unsafe)
    safe = example("email_agent.py:SAFE")
    assert isinstance(verify(safe, "never send_email before confirm"), Proven)
    assert isinstance(verify(safe, "terminates:8"), Proven)
    assert isinstance(verify(safe, "final-regex:sent|not sent"), Proven)
    wasted = verify(safe, "every tool result is used")  # a search on the last turn is never read
    assert isinstance(wasted, Counterexample) and wasted.outputs[-1] == "search"


def test_retrieval_answer_final_output() -> None:
    chain = example("retrieval_answer.py:CHAIN")
    assert isinstance(verify(chain, "final:choice_ae"), Proven)
    answer = verify(chain, "final-regex:[A-E]")
    assert isinstance(answer, Counterexample) and answer.outputs[0] == "yes"
    assert_replayable(answer, chain)
    assert isinstance(verify(chain, "every tool result is used"), Proven)
    fallback = verify(chain, "final:yes_no")  # the fallback "E" is not yes/no
    assert isinstance(fallback, Counterexample) and fallback.outputs == ["no"]


def test_retrieval_answer_runs() -> None:
    chain = example("retrieval_answer.py:CHAIN")
    model = ScriptedModel(["yes", " (A) "])
    result = run_chain(
        chain, model, inputs={"question": "What is the capital of France?", "options": ["Paris", "Rome"]}
    )
    assert result.ok and result.value == "A" and result.output == " (A) "
    assert "Paris is the capital" in (model.requests[1].prompt or "")


def test_racket_chain_verification_is_honest() -> None:
    chain = example("racket_tests.py:CHAIN")
    assert isinstance(verify(chain, "terminates:3"), Proven)
    assert isinstance(verify(chain, "final:sexpr"), Proven)
    assert isinstance(verify(chain, "every tool result is used"), Proven)
    unknown = verify(chain, r"final-regex:\(define.*")
    assert isinstance(unknown, Unknown) and "no known regular language" in unknown.reason


def test_racket_chain_runs_tests_in_the_sandbox_and_retries() -> None:
    chain = example("racket_tests.py:CHAIN")
    wrong = "(define (add a b) (- a b))"
    right = "#lang racket\n(define (add a b) (+ a b))"
    model = ScriptedModel([wrong, right])
    tests = "(check-equal? (add 1 2) 3)\n(check-equal? (add 0 0) 0)"
    result = run_chain(
        chain, model, monitor=["terminates:3"], inputs={"task": "add two numbers", "tests": tests}
    )
    assert result.ok and result.output == right
    reports = [s.value for s in result.trace if s.kind == "tool"]
    assert [r.status for r in reports] == ["fail", "pass"]
    assert "FAILED (got -1, expected 3)" in reports[0].output
    assert "FAILED (got -1, expected 3)" in (model.requests[1].prompt or "")  # the feedback reached the model
    assert {(r.max_tokens, r.stop) for r in model.requests} == {(400, ("\nTask:",))}  # the step's Prompt


def test_verify_command_table_and_exit_codes() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=200)
    code = verify_command(
        f"{EXAMPLES}/email_agent.py:UNSAFE",
        ["never send_email before confirm", "terminates:8"],
        False,
        stdout=console,
    )
    text = buffer.getvalue()
    assert code == 1
    assert "counterexample" in text and "proven" in text and '"send_email"' in text and "(not run)" in text
    assert (
        verify_command(
            f"{EXAMPLES}/email_agent.py:SAFE", ["never send_email before confirm"], False, stdout=console
        )
        == 0
    )
    unknown = verify_command(
        f"{EXAMPLES}/racket_tests.py:CHAIN", [r"final-regex:\(define.*"], False, stdout=console
    )
    assert unknown == 2


def test_verify_command_json() -> None:
    buffer = io.StringIO()
    code = verify_command(
        f"{EXAMPLES}/retrieval_answer.py:CHAIN",
        ["final:choice_ae", "final-regex:[A-E]"],
        True,
        stdout=Console(file=buffer, width=200),
    )
    report = json.loads(buffer.getvalue())
    assert code == 1 and report["chain"] == "retrieval_answer"
    statuses = [r["status"] for r in report["results"]]
    assert statuses == ["proven", "counterexample"]
    trace = report["results"][1]["trace"]
    assert trace[-1]["stopped"] and trace[-1]["kind"] == "final"


def test_bad_targets_say_what_to_write() -> None:
    with pytest.raises(ConfigurationError, match="write MODULE:NAME"):
        load_chain("no_colon_here")
    with pytest.raises(ConfigurationError, match="chains there: SAFE, UNSAFE"):
        load_chain(f"{EXAMPLES}/email_agent.py:ACTION")
    with pytest.raises(ConfigurationError, match="cannot import"):
        load_chain("no_such_package_xyz.chains:CHAIN")
    with pytest.raises(ConfigurationError, match="at least one --property"):
        verify_command(f"{EXAMPLES}/email_agent.py:SAFE", [], False)


def test_the_python_in_docs_chains_md_runs() -> None:
    """The doc's code blocks, in order, in one namespace (``model`` answers "done": the agent finishes)."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) >= 3
    namespace: dict[str, object] = {"model": ScriptedModel(["done"])}
    for block in blocks:
        exec(compile(block, str(DOCS), "exec"), namespace)  # our own documentation, not model output
    result = namespace["result"]
    assert getattr(result, "ok", False) and getattr(result, "output", None) == "done"
    assert isinstance(namespace["draft"], ModelStep) and namespace["draft"].prompt.chat  # type: ignore[attr-defined]
