from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from guardrail.cli import app
from guardrail.models import Recorder, Request, ScriptedModel

runner = CliRunner()


def test_help_reads_well() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    flat = " ".join(result.output.replace("│", " ").split())
    assert "Nothing a model writes is used until a checker accepts it" in flat
    assert "generate" in result.output and "models" in result.output


@pytest.mark.parametrize(
    ("command", "phrase"),
    [
        ("search", "else ./guardrail-studies/NAME"),
        ("generate", "else ~/.cache/guardrail"),
        ("invariants", "(default: invariants-trace.jsonl)"),
    ],
)
def test_option_help_keeps_its_defaults(command: str, phrase: str) -> None:
    # Rich reads "[...]" in help text as markup and drops it silently; the defaults must survive.
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    flat = " ".join(result.output.replace("│", " ").split())
    assert phrase in flat


def test_generate_from_a_cassette_as_json(tmp_path: Path) -> None:
    cassette = tmp_path / "c.jsonl"
    Recorder(ScriptedModel(["Paris"], model_id="m1"), cassette).complete(
        Request(prompt="Capital of France:", max_tokens=8)
    )
    result = runner.invoke(
        app,
        [
            "generate",
            "Capital of France:",
            "--model",
            f"replay:{cassette}",
            "--max-tokens",
            "8",
            "--json",
            "--no-cache",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["text"] == "Paris" and data["model_id"] == "m1"


def test_generate_unknown_model_is_one_clear_error() -> None:
    result = runner.invoke(app, ["generate", "hi", "--model", "gpt-17"])
    assert result.exit_code == 1
    assert "unknown model 'gpt-17'; accepted specs" in result.output
    assert "Traceback" not in result.output


def test_generate_cassette_miss_names_the_request(tmp_path: Path) -> None:
    cassette = tmp_path / "c.jsonl"
    Recorder(ScriptedModel(["x"], model_id="m1"), cassette).complete(Request(prompt="a", max_tokens=8))
    result = runner.invoke(
        app, ["generate", "b", "--model", f"replay:{cassette}", "--max-tokens", "8", "--no-cache"]
    )
    assert result.exit_code == 1
    assert 'prompt="b"' in result.output and "no recording" in result.output


def test_models_lists_backends_without_loading() -> None:
    result = runner.invoke(app, ["models", "--no-load", "--json"])
    assert result.exit_code == 0
    specs = [b["spec"] for b in json.loads(result.stdout)["backends"]]
    assert specs[0] == "local" and "openai:NAME" in specs and "replay:CASSETTE.jsonl" in specs


@pytest.mark.local_model
def test_models_loads_the_embedded_model() -> None:
    pytest.importorskip("llama_cpp")
    result = runner.invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    local = json.loads(result.stdout)["backends"][0]
    assert local["status"] == "loaded" and local["path"].endswith(".gguf")


@pytest.mark.local_model
def test_generate_on_the_embedded_model_twice_hits_the_cache(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    args = [
        "generate",
        "The capital of France is",
        "--max-tokens",
        "8",
        "--cache",
        str(tmp_path / "c.sqlite"),
    ]
    first = runner.invoke(app, args)
    second = runner.invoke(app, args)
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert first.stdout == second.stdout and first.stdout.strip()
    assert "cache miss" in first.stderr and "cache hit" in second.stderr


def test_verify_command_reports_a_counterexample_with_exit_code_1() -> None:
    result = runner.invoke(
        app,
        [
            "verify",
            "examples/chains/email_agent.py:UNSAFE",
            "-p",
            "never send_email before confirm",
            "--json",
        ],
    )
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert "counterexample" in json.dumps(data)


def test_verify_command_bad_target_is_a_clear_error() -> None:
    result = runner.invoke(app, ["verify", "no_such_module_xyz:CHAIN", "-p", "terminates:3"])
    assert result.exit_code == 3
    assert "no_such_module_xyz" in result.output and "Traceback" not in result.output
