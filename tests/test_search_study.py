"""End-to-end studies with a scripted model whose accuracy depends on the prompt: the search finds the
planted best, reads the test split once, resumes after a crash without repeating calls, and contains bad
input (template errors, injection attempts, malformed rows)."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from guardrail.cli.evaluate import eval_command
from guardrail.cli.search import search_command
from guardrail.errors import DataFileError
from guardrail.models import Model, Request, ScriptedModel
from guardrail.prompt import Template
from guardrail.reports import write_report
from guardrail.search import Study, StudyConfig

INJECTION = "{{ ''.__class__.__mro__ }}"
TEMPLATE = (
    "{% for ex in examples %}{{ style }} {{ ex.review }}\nSentiment: {{ ex.answer }}\n\n{% endfor %}"
    "{{ style }} {{ review }}\nSentiment:"
)


def write_suite(folder: Path, n: int = 160, broken_line: bool = False) -> Path:
    lines = []
    for i in range(n):
        text = f"review {i} {'with ' + INJECTION if i == 7 else 'of a film'}"
        lines.append(
            json.dumps({"id": f"r{i}", "review": text, "expected": "positive" if i % 2 else "negative"})
        )
    if broken_line:
        lines.insert(5, '{"id": "broken", "review": ')
    path = folder / "reviews.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def planted_accuracy(prompt: str) -> float:
    """The simulated model's skill depends on the prompt: k=4 with great/terrible and 'Review:' is best."""
    k = prompt.count("Sentiment:") - 1
    great = "Sentiment: great" in prompt or "Sentiment: terrible" in prompt
    if k == 0:
        return 0.0
    if k == 4 and great and prompt.startswith("Review:"):
        return 0.95
    return 0.75 if k == 4 else 0.6


def oracle(request: Request) -> str:
    prompt = request.prompt or ""
    m = re.search(r"review (\d+) [^\n]*\nSentiment:$", prompt)
    assert m, prompt[-80:]
    i = int(m.group(1))
    accuracy = planted_accuracy(prompt)
    if accuracy == 0.0:
        return " I am not sure"
    truth_positive = i % 2 == 1
    roll = int(hashlib.sha256(f"{i}:{prompt[:200]}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    says_positive = truth_positive if roll < accuracy else not truth_positive
    words = (
        ("great", "terrible")
        if "Sentiment: great" in prompt or "Sentiment: terrible" in prompt
        else ("positive", "negative")
    )
    return " " + (words[0] if says_positive else words[1])


def study_config(folder: Path, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "name": "toy",
        "suite": {
            "path": "reviews.jsonl",
            "format": "jsonl",
            "scorer": {"kind": "label", "labels": ["negative", "positive"]},
        },
        "space": {
            "name": "toy-space",
            "request": {"max_tokens": 3, "stop": ["\n"]},
            "fixed": {"template": {"source": TEMPLATE}, "selection": "balanced"},
            "dimensions": {
                "labels": {
                    "great/terrible": {"positive": "great", "negative": "terrible"},
                    "positive/negative": {"positive": "positive", "negative": "negative"},
                },
                "k": [0, 2, 4],
                "style": {"review": "Review:", "text": "Text:"},
            },
        },
        "splits": {
            "train": 0.2,
            "validation": 0.5,
            "test": 0.3,
            "seed": 0,
            "validation_max": 64,
            "test_max": 40,
        },
        "strategy": {"kind": "racing", "epsilon": 0.05, "delta": 0.05, "min_cases": 16},
        "model": "scripted",
        "concurrency": 1,
        "cache": False,
        "output": "out",
    }
    config.update(overrides)
    return config


def write_study(folder: Path, **overrides: Any) -> Path:
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study_config(folder, **overrides)))
    return path


def factory_of(model: Model) -> Callable[[str], Model]:
    return lambda spec: model


class CrashAfter(ScriptedModel):
    """Answers like the oracle, then dies on call ``limit + 1`` (a kill in the middle of a study)."""

    def __init__(self, limit: int):
        super().__init__(oracle)
        self.limit = limit

    def _answer(self, request: Request) -> str:
        if len(self.requests) >= self.limit:
            raise RuntimeError("simulated crash")
        return super()._answer(request)


def best_id(study: Study) -> str:
    space = study.load_space()
    return next(
        c.id
        for c in space.candidates()
        if c.names == {"labels": "great/terrible", "k": "4", "style": "review"}
    )


def test_search_finds_the_planted_best_and_reads_test_once(tmp_path: Path) -> None:
    write_suite(tmp_path)
    model = ScriptedModel(oracle)
    study = Study.from_yaml(write_study(tmp_path), model_factory=factory_of(model))
    result = study.run()
    write_report(result, result.folder)
    assert result.winner.id in (tmp_path / "out" / "report.html").read_text()
    assert result.winner.id == best_id(study)
    assert result.winner.test is not None and result.winner.test_n == 40
    assert result.winner.test.estimate >= 0.8
    assert result.calls_spent < result.grid_calls
    assert len(result.test_reads) == 1 and result.test_reads[0]["candidates"] == [result.winner.id]
    zero_shot = [r for r in result.candidates if r.choices["k"] == "0"]
    assert all(r.status == "eliminated" and r.eliminated_at == 16 for r in zero_shot)
    for name in (
        "results.sqlite",
        "results.jsonl",
        "summary.json",
        "report.md",
        "report.html",
        "accuracy.png",
        "winner.j2",
        "winner.yaml",
        "winner_example.txt",
    ):
        assert (tmp_path / "out" / name).is_file(), name
    lines = (tmp_path / "out" / "results.jsonl").read_text().splitlines()
    assert len(lines) == result.calls_spent
    report = (tmp_path / "out" / "report.md").read_text()
    assert result.winner.id in report and "Wilson" in report and "full grid" in report


def test_winner_template_reproduces_the_winning_prompt(tmp_path: Path) -> None:
    write_suite(tmp_path)
    model = ScriptedModel(oracle)
    study = Study.from_yaml(write_study(tmp_path), model_factory=factory_of(model))
    study.run()
    baked = Template.from_file(tmp_path / "out" / "winner.j2")
    example = (tmp_path / "out" / "winner_example.txt").read_text()
    review = re.search(r"Review: (review \d+ [^\n]*)\nSentiment:$", example)
    assert review is not None
    assert baked.render(review=review.group(1)) == example


def test_case_data_with_template_syntax_reaches_the_model_literally(tmp_path: Path) -> None:
    write_suite(tmp_path)
    model = ScriptedModel(oracle)
    Study.from_yaml(write_study(tmp_path), model_factory=factory_of(model)).run()
    prompts = [r.prompt or "" for r in model.requests]
    assert any(f"review 7 with {INJECTION}\nSentiment:" in p for p in prompts)


def test_killed_study_resumes_without_repeating_calls(tmp_path: Path) -> None:
    full_dir, crash_dir = tmp_path / "full", tmp_path / "crash"
    full_dir.mkdir()
    crash_dir.mkdir()
    for d in (full_dir, crash_dir):
        write_suite(d)
    complete_model = ScriptedModel(oracle)
    complete = Study.from_yaml(write_study(full_dir), model_factory=factory_of(complete_model)).run()
    total_calls = len(complete_model.requests)

    crashing = CrashAfter(limit=150)
    with pytest.raises(RuntimeError, match="simulated crash"):
        Study.from_yaml(write_study(crash_dir), model_factory=factory_of(crashing)).run()
    assert len(crashing.requests) == 150

    rerun_model = ScriptedModel(oracle)
    resumed = Study.from_yaml(write_study(crash_dir), model_factory=factory_of(rerun_model)).run()
    assert len(rerun_model.requests) == total_calls - 150
    assert resumed.counters.resumed == 150
    assert resumed.winner.id == complete.winner.id
    assert resumed.winner.interval == complete.winner.interval
    assert resumed.calls_spent == complete.calls_spent


def test_rerunning_a_finished_study_makes_no_calls_and_records_the_second_test_read(tmp_path: Path) -> None:
    write_suite(tmp_path)
    path = write_study(tmp_path)
    Study.from_yaml(path, model_factory=factory_of(ScriptedModel(oracle))).run()
    again_model = ScriptedModel(oracle)
    again = Study.from_yaml(path, model_factory=factory_of(again_model)).run()
    assert again_model.requests == []
    assert len(again.test_reads) == 2
    assert any("read 2 times" in w for w in again.warnings)


def test_setting_values_are_data_too(tmp_path: Path) -> None:
    write_suite(tmp_path)
    config = study_config(tmp_path)
    config["space"]["dimensions"]["style"]["braces"] = "{{ not_a_variable }}"
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(config))
    model = ScriptedModel(oracle)
    result = Study.from_yaml(path, model_factory=factory_of(model)).run()
    braces = [r for r in result.candidates if r.choices["style"] == "braces"]
    assert braces and all(r.errors == 0 for r in braces)
    assert any((r.prompt or "").startswith("{{ not_a_variable }}") for r in model.requests)


def test_undefined_template_variable_is_recorded_per_case(tmp_path: Path) -> None:
    write_suite(tmp_path)
    config = study_config(tmp_path)
    config["space"]["dimensions"]["template"] = {
        "good": {"source": TEMPLATE},
        "typo": {"source": TEMPLATE.replace("{{ review }}\nSentiment:", "{{ reveiw }}\nSentiment:")},
    }
    del config["space"]["fixed"]["template"]
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(config))
    model = ScriptedModel(oracle)
    result = Study.from_yaml(path, model_factory=factory_of(model)).run()
    typos = [r for r in result.candidates if r.choices["template"] == "typo"]
    assert typos and all(r.errors == r.n and r.status == "eliminated" for r in typos)
    assert any("reveiw" in e["error"] for e in result.case_errors)
    assert any("failed with an error" in w for w in result.warnings)
    assert result.winner.id == next(r.id for r in result.candidates if r.status == "winner")
    assert result.winner.choices["template"] == "good"


def test_malformed_suite_row_is_skipped_with_a_warning_or_refused(tmp_path: Path) -> None:
    write_suite(tmp_path, broken_line=True)
    result = Study.from_yaml(write_study(tmp_path), model_factory=factory_of(ScriptedModel(oracle))).run()
    assert any("reviews.jsonl, line 6" in w for w in result.warnings)
    strict = study_config(tmp_path)
    strict["suite"]["on_malformed"] = "error"
    (tmp_path / "strict.yaml").write_text(yaml.safe_dump(strict))
    with pytest.raises(DataFileError, match=r"reviews\.jsonl, line 6"):
        Study.from_yaml(tmp_path / "strict.yaml", model_factory=factory_of(ScriptedModel(oracle))).run()


def test_grid_strategy_spends_the_full_grid(tmp_path: Path) -> None:
    write_suite(tmp_path)
    path = write_study(tmp_path, strategy={"kind": "grid"})
    result = Study.from_yaml(path, model_factory=factory_of(ScriptedModel(oracle))).run()
    assert result.calls_spent == result.grid_calls == 12 * 64 + 40
    assert all(r.n == 64 for r in result.candidates)


def test_study_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nsuite: {path: a.jsonl}\nspace: s.yaml\nstrategy: {kind: racing}\nbogus: 1\n")
    with pytest.raises(DataFileError, match=r"bad\.yaml: bogus"):
        StudyConfig.from_yaml(path)


def test_search_command_json_summary(tmp_path: Path) -> None:
    write_suite(tmp_path)
    buffer = io.StringIO()
    code = search_command(
        write_study(tmp_path),
        json_out=True,
        model_factory=factory_of(ScriptedModel(oracle)),
        stdout=Console(file=buffer, width=200),
        stderr=Console(file=io.StringIO()),
    )
    assert code == 0
    summary = json.loads(buffer.getvalue())
    assert set(summary) >= {"winner", "validation", "test", "calls_spent", "grid_calls", "best_vs_runner_up"}
    assert summary["validation"]["low"] <= summary["validation"]["estimate"] <= summary["validation"]["high"]
    assert summary["test"]["n"] == 40
    assert summary["calls_spent"] < summary["grid_calls"]


def test_eval_command_scores_the_winning_prompt(tmp_path: Path) -> None:
    write_suite(tmp_path)
    search_command(
        write_study(tmp_path),
        json_out=True,
        model_factory=factory_of(ScriptedModel(oracle)),
        report=False,
        stdout=Console(file=io.StringIO()),
        stderr=Console(file=io.StringIO()),
    )
    buffer = io.StringIO()
    code = eval_command(
        tmp_path / "reviews.jsonl",
        tmp_path / "out" / "winner.yaml",
        limit=50,
        json_out=True,
        scorer="label",
        model_factory=factory_of(ScriptedModel(oracle)),
        stdout=Console(file=buffer, width=200),
        output=tmp_path / "eval",
    )
    assert code == 0
    summary = json.loads(buffer.getvalue())
    assert summary["n"] == 50 and summary["accuracy"]["estimate"] >= 0.8
    assert summary["this_run"]["model_calls"] == 50


def test_the_shipped_main_job_study_loads() -> None:
    """The README's main job: its study file, suite, few-shot pool, space and strategy all resolve."""
    from guardrail.resources import prompts_dir
    from guardrail.search import Racing

    study = Study.from_yaml(prompts_dir() / "studies" / "sst2.yaml")
    suite, train = study.load_suite()
    assert len(suite) == 872 and train is not None and len(train) == 600
    assert study.load_space().size == 36
    strategy = study.strategy()
    assert isinstance(strategy, Racing)
    assert (strategy.epsilon, strategy.delta, strategy.correction) == (0.05, 0.05, "bonferroni")
    assert study.config.model == "local"


def test_a_study_folder_written_by_the_previous_release_resumes(tmp_path: Path) -> None:
    """A study folder from before scorers became checks resumes: stored outcomes are reused, not redone."""
    import shutil

    legacy = tmp_path / "legacy"
    shutil.copytree(Path(__file__).parent / "data" / "legacy_study", legacy)
    resumed_model = ScriptedModel(oracle)
    resumed = Study.from_yaml(legacy / "study.yaml", model_factory=factory_of(resumed_model)).run()
    fresh_model = ScriptedModel(oracle)
    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    write_suite(fresh_dir)
    fresh = Study.from_yaml(write_study(fresh_dir), model_factory=factory_of(fresh_model)).run()
    # The old release made 150 calls before it was killed; none of them is made again.
    assert len(resumed_model.requests) == len(fresh_model.requests) - 150
    assert resumed.summary()["winner"] == {**fresh.summary()["winner"], "files": resumed.winner_files}
    assert resumed.winner.interval == fresh.winner.interval and resumed.winner.test == fresh.winner.test
