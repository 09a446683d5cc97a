"""Specs and annotations proposed by a model (``guardrail specs FILE.py``), checked by Z3, hypothesis, mypy.

The model is scripted: each test says exactly what it answers, and the checks decide. Functions under
test live in files written to ``tmp_path``; their code runs only inside the sandbox.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from guardrail.cli import app
from guardrail.errors import DataFileError
from guardrail.invariants.specs import check_annotations, check_file_spec
from guardrail.invariants.specs.command import SpecsSummary, run_specs
from guardrail.invariants.specs.functions import SpecSignature, parse_functions
from guardrail.invariants.specs.propose import (
    ANNOTATION_EXAMPLES,
    SPEC_EXAMPLES,
    SpecProposalCheck,
    few_shot_examples,
)
from guardrail.models import Recorder, ScriptedModel

CLAMP = """
def clamp(x: int, lo: int, hi: int) -> int:
    if x < lo:
        return lo
    elif x > hi:
        return hi
    return x
"""

TRIANGLE = """
def triangle(n: int) -> int:
    total = 0
    for i in range(n + 1):
        total += i
    return total
"""


def _file(tmp_path: Path, *sources: str, name: str = "subject.py") -> Path:
    path = tmp_path / name
    path.write_text('"""Functions to specify."""\n' + "".join(sources), encoding="utf-8")
    return path


def _run(path: Path, answers: list[str], **options: object) -> tuple[SpecsSummary, ScriptedModel]:
    model = ScriptedModel(answers)
    options.setdefault("max_examples", 60)
    summary = run_specs(path, model, console=Console(file=io.StringIO(), width=200), **options)  # type: ignore[arg-type]
    return summary, model


def clamp(x: int, lo: int, hi: int) -> int:
    namespace: dict[str, object] = {}
    exec(compile(CLAMP, "clamp", "exec"), namespace)  # the test's own code, for checking counterexamples
    return namespace["clamp"](x, lo, hi)  # type: ignore[operator,no-any-return]


def test_a_good_spec_is_proven(tmp_path: Path) -> None:
    summary, model = _run(_file(tmp_path, CLAMP), [" lo <= hi\n# Ensures: lo <= result <= hi"])
    row = summary.functions[0]
    assert (row.function, row.status, row.pre, row.post) == (
        "clamp",
        "proven",
        "lo <= hi",
        "lo <= result <= hi",
    )
    assert row.model_calls == 1 and row.annotation == {"status": "given"}
    # The prompt is few-shot: solved examples, then this function's source, then an open "# Requires:".
    prompt = model.requests[0].prompt or ""
    assert prompt.rstrip().endswith("return x\n# Requires:".rstrip()) and prompt.count("# Ensures:") >= 4


def test_a_wrong_spec_is_refuted_with_its_counterexample_and_asked_again(tmp_path: Path) -> None:
    summary, model = _run(
        _file(tmp_path, CLAMP),
        [" True\n# Ensures: lo <= result <= hi", " lo <= hi\n# Ensures: lo <= result <= hi"],
    )
    row = summary.functions[0]
    assert row.status == "proven" and row.model_calls == 2
    assert row.answers[0]["code"] == "spec.refuted" and row.answers[1]["feedback"] is None
    # The second prompt quotes the first answer and the failing input; the input really breaks the spec.
    second = model.requests[1].prompt or ""
    found = re.search(
        r"# Requires: True\n# Ensures: lo <= result <= hi\n# Check: The postcondition fails for "
        r"x = (-?\d+), lo = (-?\d+), hi = (-?\d+): the function returns (-?\d+) there\.\n# Requires:$",
        second,
    )
    assert found, second[-300:]
    x, lo, hi, returned = map(int, found.groups())
    assert clamp(x, lo, hi) == returned and not lo <= returned <= hi
    assert model.requests[1].temperature > 0 and model.requests[1].sample == 1


def test_a_spec_still_refuted_after_the_last_attempt_is_reported_with_its_counterexample(
    tmp_path: Path,
) -> None:
    summary, _ = _run(_file(tmp_path, CLAMP), [" True\n# Ensures: result >= lo"] * 2, attempts=2)
    row = summary.functions[0]
    assert row.status == "refuted" and row.post == "result >= lo"
    assert row.counterexample is not None
    inputs = {k: v for k, v in row.counterexample.items() if k != "result"}
    assert clamp(**inputs) == row.counterexample["result"] < inputs["lo"]  # type: ignore[arg-type]
    assert "fails for" in row.message


@pytest.mark.parametrize(
    ("answer", "code", "says"),
    [
        (" lo <=\n# Ensures: result >= lo", "spec.parse", "The precondition"),
        (" lo <= hi\n# Ensures: resutl >= lo", "spec.unknown_name", "unknown name 'resutl'"),
        (" lo + hi\n# Ensures: result >= lo", "spec.ill_typed", "is a number"),
        (" lo <= hi\n# Ensures: result == result", "spec.vacuous", "says nothing"),
        (" lo < lo\n# Ensures: result >= lo", "spec.vacuous", "No input satisfies"),
        ("the result is clamped", "spec.format", "Answer with two lines"),
    ],
)
def test_an_unusable_spec_is_rejected_with_the_reason(
    tmp_path: Path, answer: str, code: str, says: str
) -> None:
    summary, model = _run(_file(tmp_path, CLAMP), [answer, answer], attempts=2)
    row = summary.functions[0]
    assert row.status == "rejected" and says in row.message, row.message
    assert row.answers[0]["code"] == code
    # The reason went back to the model, on a "# Check:" line.
    assert f"# Check: {row.answers[0]['feedback']}".split("\n")[0][:60] in (model.requests[1].prompt or "")


def test_a_function_outside_the_provable_subset_is_tested_not_proven(tmp_path: Path) -> None:
    summary, _ = _run(_file(tmp_path, TRIANGLE), [" n >= 0\n# Ensures: 2 * result == n * (n + 1)"])
    row = summary.functions[0]
    assert row.status == "tested" and row.tests > 0
    assert "not proven" in row.message and "For statements are not supported" in row.message
    # ... and testing still refutes a wrong spec, with hypothesis's shrunk input.
    summary, _ = _run(_file(tmp_path, TRIANGLE), [" n >= 0\n# Ensures: result > n"], attempts=1)
    assert summary.functions[0].status == "refuted"
    assert summary.functions[0].counterexample == {"n": 0, "result": 0}


def test_a_crash_or_a_hang_refutes_a_spec_that_allows_the_input(tmp_path: Path) -> None:
    source = """
def countdown(n: int) -> int:
    while n != 0:
        n -= 2
    return n


def inverse(n: int) -> int:
    return 100 // n
"""
    summary, _ = _run(
        _file(tmp_path, source),
        [" n >= 0\n# Ensures: result == 0", " True\n# Ensures: result <= 100"],
        attempts=1,
    )
    hang, crash = summary.functions
    assert hang.status == "refuted" and "does not return within" in hang.message
    assert hang.counterexample is not None and hang.counterexample["n"] % 2 == 1
    assert crash.status == "refuted" and crash.counterexample == {"n": 0}
    assert "raises ZeroDivisionError" in crash.message


def test_functions_outside_the_subset_get_an_unsupported_row(tmp_path: Path) -> None:
    source = """
def shout(word: str) -> str:
    return word.upper()


async def later(x: int) -> int:
    return x
"""
    summary, model = _run(_file(tmp_path, source), [])
    rows = {r.function: r for r in summary.functions}
    assert rows["shout"].status == "unsupported"
    assert (
        rows["shout"].message
        == "unsupported: parameter word has type str; specs cover int and bool parameters"
    )
    assert rows["later"].status == "unsupported" and "async" in rows["later"].message
    assert model.requests == []  # nothing to ask: no spec of these could be checked


def test_a_file_that_is_not_python_is_a_data_file_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("def f(x: int) -> int:\n    return x +\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        run_specs(path, ScriptedModel([]), console=Console(file=io.StringIO()))
    assert (info.value.path, info.value.line) == (str(path), 2)
    assert f"{path}:2" in str(info.value)


def test_the_module_is_imported_only_in_the_sandbox(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    # The module's top level notes which process ran it (where the sandbox lets it write at all).
    top_level = (
        "\ntry:\n    import os\n"
        f"    open({str(marker)!r}, 'a').write(str(os.getpid()) + '\\n')\n"
        "except OSError:\n    pass\n"
    )
    summary, _ = _run(_file(tmp_path, TRIANGLE + top_level), [" n >= 0\n# Ensures: result >= n"])
    assert summary.functions[0].status == "tested"
    ran_in = marker.read_text().split() if marker.exists() else []
    assert str(os.getpid()) not in ran_in  # never imported by this process


# --- annotations ------------------------------------------------------------------------------------------

UNTYPED = """
def double(x):
    return 2 * x
"""


def test_missing_annotations_are_proposed_checked_by_mypy_and_used_for_the_spec(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    summary, model = _run(
        _file(tmp_path, UNTYPED),
        [
            " def double(x: str) -> int:",
            " def double(x: int) -> int:",
            " True\n# Ensures: result == x + x",
        ],
    )
    row = summary.functions[0]
    annotation = row.annotation
    assert annotation["status"] == "accepted" and annotation["header"] == "def double(x: int) -> int:"
    assert "mypy" in (annotation["answers"][0]["feedback"] or "")
    assert "# Check: mypy" in (model.requests[1].prompt or "")
    # The spec prompt shows the function with the accepted header; the spec is proven over ints.
    assert "def double(x: int) -> int:\n    return 2 * x\n# Requires:" in (model.requests[2].prompt or "")
    assert row.status == "proven" and row.model_calls == 3


def test_every_few_shot_example_passes_its_own_checks() -> None:
    for example in few_shot_examples(SPEC_EXAMPLES):
        function = parse_functions(example["function"]).functions[0]
        signature = SpecSignature.of(function.node)
        assert not isinstance(signature, str)
        answer = f" {example['requires']}\n# Ensures: {example['ensures']}"
        assert SpecProposalCheck(signature).check(answer).ok, example
        for attempt in example.get("attempts", []):
            assert (
                SpecProposalCheck(signature)
                .check(f" {attempt['requires']}\n# Ensures: {attempt['ensures']}")
                .ok
            )


def test_the_few_shot_specs_are_proven_or_tested_and_their_shown_failures_are_real(tmp_path: Path) -> None:
    examples = few_shot_examples(SPEC_EXAMPLES)
    answers = [f" {e['requires']}\n# Ensures: {e['ensures']}" for e in examples]
    path = _file(tmp_path, *("\n\n" + e["function"] for e in examples))
    summary, _ = _run(path, answers)
    file = parse_functions(path.read_text(encoding="utf-8"), path)
    for example, row, function in zip(examples, summary.functions, file.functions, strict=True):
        assert row.status in ("proven", "tested"), (row.function, row.message)
        signature = SpecSignature.of(function.node)
        assert not isinstance(signature, str)

        def verdict(pre: str, post: str) -> str:
            parsed = SpecProposalCheck(signature).check(f" {pre}\n# Ensures: {post}")  # noqa: B023
            assert parsed.ok, parsed.feedback()
            return check_file_spec(file, function, parsed.value, signature, max_examples=50).status  # noqa: B023

        # Each failure an example shows is real: at the inputs it names, the function returns what it says,
        # the precondition allows them, and the postcondition fails there.
        for attempt in example.get("attempts", []):
            found = re.fullmatch(
                r"The postcondition fails for (.*): the function returns (-?\d+|True|False) there\.",
                attempt["feedback"],
            )
            assert found, attempt["feedback"]
            pinned = " and ".join(f"{p.replace(' = ', ' == ')}" for p in found.group(1).split(", "))
            at = f"({attempt['requires']}) and {pinned}"
            assert verdict(at, f"result == {found.group(2)}") in ("proven", "tested")
            assert verdict(at, attempt["ensures"]) == "refuted"


def test_every_few_shot_annotation_passes_mypy_and_every_shown_failure_fails() -> None:
    pytest.importorskip("mypy")
    for example in few_shot_examples(ANNOTATION_EXAMPLES):
        assert check_annotations(example["function"], example["header"]).ok, example["header"]
        for attempt in example.get("attempts", []):
            verdict = check_annotations(example["function"], attempt["header"])
            assert not verdict.ok and verdict.errors[0].code == "annotation.mypy"


# --- the command and its report ----------------------------------------------------------------------------


def test_the_command_prints_json_and_writes_a_report_naming_every_function(tmp_path: Path) -> None:
    source = tmp_path / "subject.py"
    source.write_text(
        CLAMP + TRIANGLE + "\n\ndef shout(word: str) -> str:\n    return word\n", encoding="utf-8"
    )
    cassette = tmp_path / "answers.jsonl"
    answers = [
        " True\n# Ensures: lo <= result <= hi",
        " lo <= hi\n# Ensures: lo <= result <= hi",
        " n >= 0\n# Ensures: 2 * result == n * (n + 1)",
    ]
    # Record the scripted answers once; the command replays them (the CLI takes a model spec, not an object).
    _run(source, answers, report_dir=None, max_examples=200)
    recorded = Recorder(ScriptedModel(answers), cassette)
    run_specs(source, recorded, console=Console(file=io.StringIO()), max_examples=200)
    report = tmp_path / "report"
    result = CliRunner().invoke(
        app, ["specs", str(source), "--model", f"replay:{cassette}", "--json", "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert [(f["function"], f["status"]) for f in printed["functions"]] == [
        ("clamp", "proven"),
        ("triangle", "tested"),
        ("shout", "unsupported"),
    ]
    assert printed["functions"][0]["answers"][0]["code"] == "spec.refuted"
    markdown = (report / "specs.md").read_text(encoding="utf-8")
    page = (report / "specs.html").read_text(encoding="utf-8")
    for text in (markdown, page):
        for name, shown in (
            ("clamp", "proven"),
            ("triangle", "tested, not proven"),
            ("shout", "unsupported"),
        ):
            assert f"`{name}`" in text or f"<code>{name}</code>" in text
            assert shown in text
    assert "fails for" in markdown  # the repair history, counterexample included


def test_the_command_names_the_line_of_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("def f(:\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["specs", str(path), "--model", "replay:/nonexistent.jsonl", "--no-report"]
    )
    assert result.exit_code == 1
    assert f"{path}:1" in " ".join(result.output.split()) and "Traceback" not in result.output


# --- the real embedded model -------------------------------------------------------------------------------


@pytest.mark.local_model
def test_the_embedded_model_goes_through_the_same_checks(local_model: object, tmp_path: Path) -> None:
    """The path works end to end on Gemma 3 270M; whether its proposals survive is the checks' call."""
    path = _file(tmp_path, "def increment(x: int) -> int:\n    return x + 1\n")
    summary = run_specs(
        path,
        local_model,
        attempts=2,
        max_examples=50,
        console=Console(file=io.StringIO()),  # type: ignore[arg-type]
    )
    row = summary.functions[0]
    assert 1 <= row.model_calls <= 2 and len(row.answers) == row.model_calls
    # Every rejected answer carries the checks' reason; the last answer decides the row.
    assert all(a["feedback"] for a in row.answers[:-1])
    assert row.status in ("proven", "refuted", "rejected", "unknown")
    if row.status == "proven":
        function = parse_functions(path.read_text(encoding="utf-8")).functions[0]
        signature = SpecSignature.of(function.node)
        assert not isinstance(signature, str) and row.pre is not None and row.post is not None
        assert SpecProposalCheck(signature).check(f" {row.pre}\n# Ensures: {row.post}").ok
    else:
        assert row.answers[-1]["feedback"]
