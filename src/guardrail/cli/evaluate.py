"""``guardrail eval SUITE PROMPT``: one prompt's accuracy on a suite, with its interval."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .._sync import run_sync
from ..errors import GuardrailError
from ..models.base import Model
from ..search.evaluate import aevaluate_prompt
from ._app import JsonOpt, ModelOpt, app, fail, out


def eval_command(
    suite: Path,
    prompt: Path,
    *,
    format: str | None = None,
    model: str = "local",
    scorer: str = "default",
    limit: int | None = None,
    max_tokens: int = 16,
    stop: Sequence[str] = ("\n",),
    concurrency: int = 2,
    cache: bool = True,
    json_out: bool = False,
    output: Path | None = None,
    model_factory: Callable[[str], Model] | None = None,
    stdout: Console | None = None,
) -> int:
    """Evaluate one prompt on a suite: accuracy with a Wilson interval, calls and errors.

    ``prompt`` is a template file (``.j2``/``.txt``; ``max_tokens`` and ``stop`` apply) or a ``winner.yaml``
    written by ``guardrail search`` (its baked template, label words and request settings apply).
    ``scorer`` is ``default`` (the suite's own) or ``exact``, ``normalized``, ``numeric``, ``label``.
    """
    shown = stdout or out
    models: dict[str, Model] = {}

    def factory(spec: str) -> Model:
        if spec not in models:
            if model_factory is not None:
                models[spec] = model_factory(spec)
            else:
                from ..models import Cached, resolve_model

                base = resolve_model(spec)
                models[spec] = Cached(base) if cache else base
        return models[spec]

    async def run() -> dict[str, object]:
        try:
            result = await aevaluate_prompt(
                suite,
                prompt,
                model_factory=factory,
                format=format,
                model=model,
                scorer=scorer,
                limit=limit,
                max_tokens=max_tokens,
                stop=stop,
                concurrency=concurrency,
                output=output,
                progress=not json_out and sys.stderr.isatty(),
            )
            return result.to_dict()
        finally:
            if model_factory is None:
                for m in models.values():
                    await m.aclose()

    summary = run_sync(run(), "eval_command")
    if json_out:
        shown.print_json(json.dumps(summary))
    else:
        acc = summary["accuracy"]
        assert isinstance(acc, dict)
        calls = summary["this_run"]
        assert isinstance(calls, dict)
        shown.print(
            f"{summary['suite']}: {acc['estimate']:.1%} [{acc['low']:.1%}, {acc['high']:.1%}] on "
            f"{summary['n']} cases with {prompt.name} ({summary['errors']} errors, "
            f"{calls['model_calls']} calls)",
            highlight=False,
        )
    return 0


@app.command(name="eval")
def evaluate(
    suite: Annotated[Path, typer.Argument(help="Suite file (JSONL, CSV, YAML, or a shipped data format).")],
    prompt: Annotated[Path, typer.Argument(help="A prompt template (.j2) or the winner.yaml of a search.")],
    model: ModelOpt = "local",
    scorer: Annotated[str, typer.Option(help="default | exact | normalized | numeric | label")] = "default",
    limit: Annotated[int | None, typer.Option(help="Evaluate only the first N cases.")] = None,
    max_tokens: Annotated[int, typer.Option(help="Most tokens per answer (template prompts).")] = 16,
    concurrency: Annotated[int, typer.Option(help="Model calls in flight at once.")] = 2,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Always call the model.")] = False,
    output: Annotated[Path | None, typer.Option("--out", help="Write per-case results (JSONL) here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Evaluate one prompt on a suite: accuracy with a 95% Wilson interval, calls and per-case errors."""
    try:
        code = eval_command(
            suite,
            prompt,
            model=model,
            scorer=scorer,
            limit=limit,
            max_tokens=max_tokens,
            concurrency=concurrency,
            cache=not no_cache,
            json_out=as_json,
            output=output,
            stdout=out,
        )
    except GuardrailError as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(code)
