"""``guardrail specs FILE.py``: a model proposes specs and type annotations; Z3, hypothesis and mypy judge."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import GuardrailError
from ..models import Cached, CompletionCache, resolve_model
from ._app import JsonOpt, ModelOpt, app, fail, out

DEFAULT_REPORT = Path("specs-report")


@app.command()
def specs(
    file: Annotated[Path, typer.Argument(help="A Python file; every top-level function gets a spec.")],
    model: ModelOpt = "local",
    attempts: Annotated[int, typer.Option(help="Most spec proposals per function.")] = 3,
    annotation_attempts: Annotated[int, typer.Option(help="Most annotation proposals per function.")] = 2,
    max_examples: Annotated[int, typer.Option(help="hypothesis inputs per tested spec.")] = 200,
    report: Annotated[
        Path | None, typer.Option(help="Folder for specs.md and specs.html (default: ./specs-report).")
    ] = None,
    no_report: Annotated[bool, typer.Option("--no-report", help="Write no report.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Ask a model for pre/postconditions and type annotations of the functions in FILE and check them.

    Each spec is proven by Z3 where the function is in the supported subset, otherwise tested with
    hypothesis in the sandbox ("tested, not proven"); a refuted spec shows its counterexample and is
    re-asked. Annotations are accepted only when mypy --strict passes (pip install 'guardrail[specs]')."""
    from ..invariants.specs.command import run_specs
    from ..invariants.specs.functions import read_functions

    try:
        read_functions(file)  # a broken file is reported before any model is loaded
        backend = Cached(resolve_model(model), CompletionCache())
        run_specs(
            file,
            backend,
            attempts=attempts,
            annotation_attempts=annotation_attempts,
            max_examples=max_examples,
            json_out=as_json,
            console=out,
            report_dir=None if no_report else (report or DEFAULT_REPORT),
        )
    except GuardrailError as exc:
        raise fail(str(exc)) from None
