"""``guardrail invariants FILE_OR_DIR``: loop invariants that Z3 proves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import GuardrailError
from ..models import SPEC_HELP, Cached, CompletionCache, resolve_model
from ._app import JsonOpt, app, fail, out


@app.command()
def invariants(
    paths: Annotated[list[Path], typer.Argument(help="Problem files or folders (.c, .smt, .sl, .py).")],
    model: Annotated[
        str | None, typer.Option("--model", "-m", help=f"Also ask a model for candidates: {SPEC_HELP}.")
    ] = None,
    budget: Annotated[float, typer.Option(help="Seconds per problem.")] = 60.0,
    model_calls: Annotated[int, typer.Option(help="Most model calls per problem.")] = 4,
    trace: Annotated[
        Path | None, typer.Option(help="JSONL trace file (default: invariants-trace.jsonl).")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Folder for report.md, report.html and times.png (default: beside the trace, named after "
            "it: invariants-report/)."
        ),
    ] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Write no report.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Find loop invariants that Z3 proves (data-driven candidates, optionally a model's, Houdini).

    Counterexamples drive repair; nothing is reported solved that Z3 did not prove."""
    from ..invariants.command import DEFAULT_TRACE, default_report_dir, run_invariants

    trace_path = trace or DEFAULT_TRACE
    report_dir = None if no_report else (report or default_report_dir(trace_path))

    try:
        backend = Cached(resolve_model(model), CompletionCache()) if model else None
        summary = run_invariants(
            paths,
            backend,
            budget,
            as_json,
            model_calls=model_calls,
            trace_path=trace_path,
            console=out,
            report_dir=report_dir,
        )
    except GuardrailError as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(0 if summary.errors == 0 else 1)
