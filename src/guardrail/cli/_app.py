"""The typer application and what every command shares: consoles, common options, error printing."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from ..models.registry import SPEC_HELP

app = typer.Typer(
    name="guardrail",
    help="Verified LLM outputs and disciplined prompt engineering. "
    "Nothing a model writes is used until a checker accepts it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
#: Progress, warnings and errors go to stderr, so that stdout carries only results (and --json).
console = Console(stderr=True)
out = Console()

ModelOpt = Annotated[str, typer.Option("--model", "-m", help=f"Which model: {SPEC_HELP}.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON result on stdout.")]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error and return the exit to raise."""
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
