"""``run_invariants``: the function behind ``guardrail invariants FILE_OR_DIR``."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from rich.console import Console

from guardrail.invariants import check_invariant, load_problem, parse_candidate
from guardrail.invariants.command import run_invariants
from guardrail.models.scripted import ScriptedModel

C_DIR = Path(__file__).parent / "data" / "code2inv" / "c"


def _problems(tmp_path: Path) -> Path:
    folder = tmp_path / "problems"
    folder.mkdir()
    for name in ("1.c", "26.c"):
        shutil.copy(C_DIR / name, folder / name)
    (folder / "broken.c").write_text("int main() {\n  while (\n}\n", encoding="utf-8")
    return folder


def test_json_summary_rows_and_trace(tmp_path: Path) -> None:
    folder = _problems(tmp_path)
    trace = tmp_path / "trace.jsonl"
    buffer = io.StringIO()
    summary = run_invariants(
        folder, budget_s=20, json_out=True, trace_path=trace, console=Console(file=buffer)
    )

    printed = json.loads(buffer.getvalue())
    assert printed == json.loads(json.dumps(summary.to_dict()))
    assert printed["total"] == 3
    outcomes = {row["problem"]: row["outcome"] for row in printed["problems"]}
    assert outcomes == {"1.c": "solved", "26.c": "unsafe", "broken.c": "error"}
    assert printed["solved"] == 1 and printed["unsafe"] == 1 and printed["errors"] == 1

    solved = next(row for row in printed["problems"] if row["outcome"] == "solved")
    problem = load_problem(folder / "1.c")
    assert check_invariant(problem, parse_candidate(solved["invariant"], problem).value.term).proven
    broken = next(row for row in printed["problems"] if row["outcome"] == "error")
    assert "broken.c:3:" in broken["error"]

    events = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    done = [e for e in events if e["event"] == "done"]
    assert {e["problem"] for e in done} == {"1.c", "26.c"}
    assert any(e["event"] == "houdini" for e in events)


def test_table_output_and_model_calls(tmp_path: Path) -> None:
    buffer = io.StringIO()
    model = ScriptedModel(["x >= y", "x >= 1 and y >= 0 and x >= y"])
    summary = run_invariants(
        [C_DIR / "1.c"], model=model, budget_s=20, trace_path=None, console=Console(file=buffer, width=200)
    )
    text = buffer.getvalue()
    assert "solved 1/1" in text and "x >= 1 and y >= 0 and x >= y" in text
    row = summary.rows[0]
    assert row["found_by"] == "model" and row["model_calls"] == 2
    assert row["model_answers"] == ["x >= y", "x >= 1 and y >= 0 and x >= y"]


def test_the_report_names_every_problem_and_outcome(tmp_path: Path) -> None:
    folder = _problems(tmp_path)
    report = tmp_path / "report"
    summary = run_invariants(
        folder, budget_s=20, trace_path=None, report_dir=report, console=Console(file=io.StringIO())
    )
    assert summary.report_path == report / "report.html"
    markdown = (report / "report.md").read_text(encoding="utf-8")
    page = (report / "report.html").read_text(encoding="utf-8")
    for row in summary.rows:
        for text in (markdown, page):
            assert row["problem"] in text and row["outcome"] in text
    # The solved row shows its invariant, the error row the file's line, the page the time plot.
    solved = next(r for r in summary.rows if r["outcome"] == "solved")
    assert solved["invariant"] in markdown
    assert "broken.c:3:" in markdown
    assert (report / "times.png").stat().st_size > 1000 and 'src="times.png"' in page
    assert "| solved | 1/3" in markdown


def test_the_command_writes_the_report_beside_the_trace(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from guardrail.cli import app

    trace = tmp_path / "runs" / "loops-trace.jsonl"
    trace.parent.mkdir()
    result = CliRunner().invoke(
        app, ["invariants", str(C_DIR / "1.c"), "--budget", "20", "--trace", str(trace), "--json"]
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["report"] == str(tmp_path / "runs" / "loops-report" / "report.html")
    assert "1.c" in (tmp_path / "runs" / "loops-report" / "report.md").read_text(encoding="utf-8")
