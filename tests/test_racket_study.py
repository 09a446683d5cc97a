"""The shipped Racket study (prompts/studies/racket.yaml) end to end with a scripted model and real Racket:
the suite, the space, the 'racket' scorer and the splits fit together, and a prompt that gets programs beats
one that gets prose."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from guardrail.models import Request, ScriptedModel
from guardrail.search.study import Study
from guardrail.suites.loaders import load_suite

from .conftest import requires_racket

ROOT = Path(__file__).resolve().parents[1]
TASKS = load_suite(ROOT / "prompts" / "suites" / "racket" / "tasks.yaml", "yaml", expected="tests")
SOLUTIONS = {str(c.variables["signature"]): c.solution for c in TASKS}


def answer(request: Request) -> str:
    """The reference program when the prompt shows worked examples; chatty, fenced text otherwise."""
    prompt = request.prompt or ""
    signature = re.findall(r"Define (\(.*\))\.\nRacket program:$", prompt)[-1]
    if "double-all" in prompt:
        return "\n" + (SOLUTIONS[signature] or "")
    return f" Sure! Here is {signature} in Racket:\n```racket\n{SOLUTIONS[signature]}```"


@requires_racket
@pytest.mark.racket
def test_the_racket_study_prefers_prompts_that_get_programs(tmp_path: Path) -> None:
    model = ScriptedModel(answer)
    study = Study.from_yaml(
        ROOT / "prompts" / "studies" / "racket.yaml", output=tmp_path, model_factory=lambda _: model
    )
    splits = study.config.splits.model_copy(update={"validation_max": 2, "test_max": 2})
    study.config = study.config.model_copy(update={"splits": splits})
    result = study.run()
    by_k = {(r.choices["instruction"], r.choices["k"]): r for r in result.candidates}
    assert len(by_k) == 6
    assert all(r.correct == 2 for (_, k), r in by_k.items() if k == "2")
    assert all(r.correct == 0 for (_, k), r in by_k.items() if k == "0")
    assert result.winner.choices["k"] == "2"
    assert result.winner.test is not None and result.winner.test.estimate == 1.0 and result.winner.test_n == 2
    assert all(r.max_tokens == 96 and "\n\n" in r.stop for r in model.requests)
