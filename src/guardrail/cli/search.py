"""``guardrail search STUDY.yaml``: choose a prompt by measured accuracy, test the winner once."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..errors import GuardrailError
from ..models.base import Model
from ..reports import write_report
from ..search.study import Study, StudyResult
from ._app import JsonOpt, app, console, fail, out


def search_command(
    study_yaml: Path,
    json_out: bool = False,
    *,
    output: Path | None = None,
    model: str | None = None,
    progress: bool | None = None,
    report: bool = True,
    model_factory: Callable[[str], Model] | None = None,
    stdout: Console | None = None,
    stderr: Console | None = None,
) -> int:
    """Run the study in ``study_yaml``; print a summary (or, with ``json_out``, a JSON object) on stdout.

    ``output`` overrides the study folder, ``model`` the study's model spec; ``report=False`` skips the
    Markdown/HTML report and plot. Rerunning the same study resumes from its folder without repeating
    finished calls.
    """
    out = stdout or Console()
    err = stderr or Console(stderr=True)
    study = Study.from_yaml(
        study_yaml,
        output=output,
        model_factory=model_factory,
        progress=(not json_out and sys.stderr.isatty()) if progress is None else progress,
    )
    if model is not None:
        study.config = study.config.model_copy(update={"model": model})
    result = study.run()
    if report:
        write_report(result, result.folder)
    if json_out:
        out.print_json(json.dumps(result.summary(), default=str))
    else:
        _print_result(result, out)
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    return 0


def _print_result(result: StudyResult, out: Console) -> None:
    table = Table(title=f"study {result.name}: {result.strategy}, {len(result.candidates)} candidates")
    for col in ("#", "id", "candidate", "status", "cases", "accuracy [95% CI]"):
        table.add_column(col, justify="right" if col in ("#", "cases") else "left")
    for i, r in enumerate(result.candidates[:15], 1):
        status = r.status + (f" @{r.eliminated_at}" if r.eliminated_at else "")
        table.add_row(str(i), r.id, r.label, status, str(r.n), str(r.interval) if r.n else "–")
    if len(result.candidates) > 15:
        table.caption = f"... {len(result.candidates) - 15} more in the report"
    out.print(table)
    w = result.winner
    out.print(f"[bold green]winner[/] {w.id}: {w.label}", highlight=False)
    out.print(f"  validation {w.interval} on {w.n} cases", highlight=False)
    if w.test is not None:
        reads = len(result.test_reads)
        out.print(
            f"  test       {w.test} on {w.test_n} cases (test split read {reads}× in this folder)",
            highlight=False,
        )
    out.print(
        f"  calls spent {result.calls_spent:,}; a full grid would spend {result.grid_calls:,}",
        highlight=False,
    )
    out.print(
        f"  report: {result.folder / 'report.md'}  winner prompt: {result.winner_files.get('template', '')}",
        highlight=False,
    )


@app.command()
def search(
    study: Annotated[
        Path, typer.Argument(help="Study file (YAML): suite, prompt space, splits, strategy, model.")
    ],
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Override the study's model spec.")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Study folder (default: the study file's output, else ./guardrail-studies/NAME)."
        ),
    ] = None,
    report: Annotated[bool, typer.Option(help="Write the Markdown/HTML report and plot.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Choose a prompt by measured accuracy on a suite (validation split), then test the winner once.

    Rerunning a study resumes from its folder without repeating finished model calls."""
    try:
        code = search_command(
            study, as_json, output=output, model=model, report=report, stdout=out, stderr=console
        )
    except GuardrailError as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(code)
