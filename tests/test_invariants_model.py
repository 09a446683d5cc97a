"""The model proposer: few-shot prompt, counterexample feedback, and the solver loop around it."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from guardrail.invariants import (
    SolveBudget,
    check_invariant,
    load_problem,
    parse_candidate,
    propose_with_model,
    solve,
)
from guardrail.invariants.problems import parse_python_program, problem_from_program
from guardrail.invariants.propose import DataDrivenProposer
from guardrail.invariants.propose.model import PromptBuilder, few_shot_examples
from guardrail.models.scripted import ScriptedModel
from guardrail.models.types import Request

ONE = Path(__file__).parent / "data" / "code2inv" / "c" / "1.c"


def test_every_few_shot_example_is_a_proven_invariant() -> None:
    for i, example in enumerate(few_shot_examples()):
        problem = problem_from_program(
            parse_python_program(example["loop"]), name=f"example{i}", kind="python"
        )
        verdict = parse_candidate(example["invariant"], problem)
        assert verdict.ok, verdict.feedback()
        assert check_invariant(problem, verdict.value.term).proven, example["invariant"]
        for attempt in example.get("attempts", []):
            wrong = parse_candidate(attempt["answer"], problem)
            assert wrong.ok and not check_invariant(problem, wrong.value.term).proven


async def test_feedback_carries_the_counterexample_and_the_repair_is_accepted() -> None:
    problem = load_problem(ONE)
    model = ScriptedModel(["x >= y", "x >= 1 and y >= 0 and x >= y"])
    proposal = await propose_with_model(problem, model, attempts=3)
    assert proposal.invariant is not None
    assert check_invariant(problem, proposal.invariant).proven
    assert proposal.calls == 2 and [a.feedback is None for a in proposal.answers] == [False, True]
    # The second prompt shows the first answer and the concrete step that breaks it.
    second = model.requests[1].prompt or ""
    match = re.search(
        r"# Invariant: x >= y\n# Check: not inductive: from x = (-?\d+), y = (-?\d+) "
        r"the loop reaches x = (-?\d+), y = (-?\d+)",
        second,
    )
    assert match, second[-400:]
    x0, y0, x1, y1 = map(int, match.groups())
    assert x0 >= y0 and y0 < 100000 and (x1, y1) == (x0 + y0, y0 + 1) and x1 < y1
    assert (
        proposal.answers[0].feedback is not None
        and match.group(0).split("# Check: ")[1] in proposal.answers[0].feedback
    )


async def test_chat_mode_sends_messages_and_unwraps_fenced_answers() -> None:
    problem = load_problem(ONE)
    model = ScriptedModel(["```python\nx >= y\n```", "Invariant: x >= 1 and y >= 0 and x >= y"])
    proposal = await propose_with_model(problem, model, attempts=2, chat=True)
    assert proposal.invariant is not None
    first, second = model.requests
    assert first.messages is not None and first.messages[0].role == "system"
    assert second.messages is not None and "# Check: not inductive" in second.messages[-1].content


async def test_malformed_answers_are_fed_back_too() -> None:
    problem = load_problem(ONE)
    model = ScriptedModel(["x >= y && y >= 0", "x >= 1 and y >= 0 and x >= y  # done"])
    proposal = await propose_with_model(problem, model, attempts=2)
    assert proposal.invariant is not None
    assert "use `and` instead of `&&`" in (model.requests[1].prompt or "")


def test_the_loop_text_is_data_not_template_source(tmp_path: Path) -> None:
    program = tmp_path / "braces.py"
    program.write_text("x: int\n# {{ 7 * 7 }} {% if true %}\nwhile x > 0:\n    x -= 1\nassert x <= 0\n")
    problem = load_problem(program)
    # Comments are not kept by the loader, so put template syntax into the problem text itself.

    hostile = replace(problem, text=problem.text + "\n# {{ 7 * 7 }} {% for a in [1] %}{{ a }}{% endfor %}")
    prompt = PromptBuilder(hostile).render([])
    assert "{{ 7 * 7 }}" in prompt and "49" not in prompt


def test_solver_uses_the_models_answer_when_it_is_proven() -> None:
    problem = load_problem(ONE)
    result = solve(
        problem, model=ScriptedModel(["x >= y and x >= 1 and y >= 0"]), budget=SolveBudget(seconds=20)
    )
    assert result.solved and result.found_by == "model" and result.model_calls == 1


def test_solver_falls_back_to_data_when_the_model_is_useless() -> None:
    problem = load_problem(ONE)

    def babble(request: Request) -> str:
        return "I think the loop is fine"

    result = solve(problem, model=ScriptedModel(babble), budget=SolveBudget(seconds=20, model_calls=2))
    assert result.solved and result.found_by == "data-driven"
    assert result.model_calls == 2
    assert result.certificate is not None and check_invariant(problem, result.certificate.invariant).proven


def test_model_conjuncts_join_the_houdini_pool() -> None:
    # Conjuncts of a rejected answer still count: those true on the samples become Houdini candidates.
    problem = load_problem(Path(__file__).parent / "data" / "code2inv" / "c" / "100.c")
    proposer = DataDrivenProposer(problem, seed=0)
    proposer.sample(1.0)
    right, wrong = parse_candidate("x + y == n and y <= -5", problem).value.conjuncts()
    proposer.extra.extend([right, wrong])
    pool = {c.get_id() for c in proposer.candidates()}
    assert right.get_id() in pool and wrong.get_id() not in pool


@pytest.mark.slow
@pytest.mark.local_model
def test_embedded_model_answers_are_checked(local_model: object) -> None:
    problem = load_problem(ONE)
    result = solve(problem, model=local_model, budget=SolveBudget(seconds=60, model_calls=2))  # type: ignore[arg-type]
    assert result.solved  # whatever the model says, nothing unproven is reported solved
    assert result.certificate is not None and check_invariant(problem, result.certificate.invariant).proven
