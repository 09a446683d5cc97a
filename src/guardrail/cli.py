"""The ``guardrail`` command."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .errors import GuardrailError
from .models import SPEC_HELP, Cached, CompletionCache, Message, Model, Request, resolve_model

app = typer.Typer(
    name="guardrail",
    help="Verified LLM outputs and disciplined prompt engineering. "
    "Nothing a model writes is used until a checker accepts it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()

ModelOpt = Annotated[str, typer.Option("--model", "-m", help=f"Which model: {SPEC_HELP}.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON result on stdout.")]


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.command()
def models(
    as_json: JsonOpt = False,
    load: Annotated[bool, typer.Option(help="Load the embedded model to show that it works.")] = True,
) -> None:
    """List the model backends and check the embedded model loads."""
    rows: list[dict[str, Any]] = []
    local: dict[str, Any] = {"backend": "local", "spec": "local", "model": "Gemma 3 270M (base, GGUF Q4_K_M)"}
    if load:
        try:
            from .models.local import LocalModel, default_model_path

            lm = LocalModel()
            started = time.perf_counter()
            lm.load()
            local |= {
                "status": "loaded",
                "path": str(default_model_path()),
                "load_seconds": round(time.perf_counter() - started, 3),
            }
            lm.close()
        except GuardrailError as exc:
            local |= {"status": "unavailable", "detail": str(exc)}
    else:
        local["status"] = "not loaded (--no-load)"
    rows.append(local)
    key_set = bool(os.environ.get("OPENAI_API_KEY"))
    rows.append(
        {
            "backend": "openai",
            "spec": "openai:NAME",
            "model": "OpenAI's API (or OPENAI_BASE_URL)",
            "status": "OPENAI_API_KEY is set" if key_set else "OPENAI_API_KEY not set",
        }
    )
    rows.append(
        {
            "backend": "openai-compatible",
            "spec": "http://HOST:PORT/v1[#NAME]",
            "model": "vLLM, llama.cpp server, Ollama, …",
            "status": "ready (no key needed for local servers)",
        }
    )
    rows.append(
        {"backend": "replay", "spec": "replay:CASSETTE.jsonl", "model": "recorded calls", "status": "ready"}
    )
    if as_json:
        out.print_json(json.dumps({"backends": rows}))
        return
    table = Table(title="guardrail model backends")
    for col in ("backend", "spec", "model", "status"):
        table.add_column(col)
    for r in rows:
        status = r["status"]
        if r.get("load_seconds") is not None:
            status += f" in {r['load_seconds']} s from {r['path']}"
        if r.get("detail"):
            status += f": {r['detail']}"
        table.add_row(r["backend"], r["spec"], r["model"], status)
    out.print(table)


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="The prompt text (use - to read it from stdin).")],
    model: ModelOpt = "local",
    max_tokens: Annotated[int, typer.Option(help="Most tokens to generate.")] = 64,
    temperature: Annotated[float, typer.Option(help="0 = greedy, deterministic.")] = 0.0,
    stop: Annotated[list[str] | None, typer.Option(help="Stop sequence (repeatable).")] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed.")] = None,
    chat: Annotated[bool, typer.Option(help="Send the prompt as a chat user message.")] = False,
    stream: Annotated[bool, typer.Option(help="Print tokens as they arrive.")] = True,
    cache: Annotated[
        Path | None,
        typer.Option(
            help="SQLite cache file (default: cache.sqlite in $GUARDRAIL_HOME, else ~/.cache/guardrail)."
        ),
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Always call the model.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Generate one completion and print it."""
    text = sys.stdin.read() if prompt == "-" else prompt
    params: dict[str, Any] = {
        "max_tokens": max_tokens,
        "temperature": temperature,
        "stop": tuple(stop or ()),
        "seed": seed,
    }
    try:
        request = (
            Request(messages=(Message(role="user", content=text),), **params)
            if chat
            else Request(prompt=text, **params)
        )
        backend: Model = resolve_model(model)
        if not no_cache:
            backend = Cached(backend, CompletionCache(cache))
        if stream and not as_json:
            for delta in backend.stream(request):
                out.print(delta, end="", highlight=False, markup=False, soft_wrap=True)
            out.print()
        else:
            completion = backend.complete(request)
            if as_json:
                out.print_json(completion.model_dump_json())
            else:
                out.print(completion.text, highlight=False, markup=False, soft_wrap=True)
        usage = backend.meter.summary()
        extra = ""
        if isinstance(backend, Cached):
            extra = f", cache {'hit' if usage.cached_calls else 'miss'} ({backend.cache.path})"
        console.print(
            f"[dim]{backend.model_id}: {usage.prompt_tokens} prompt + {usage.completion_tokens} "
            f"completion tokens, {usage.latency_s:.2f} s{extra}[/]",
            highlight=False,
        )
        backend.close()
    except GuardrailError as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:  # pydantic validation of the request options
        raise fail(f"invalid options: {exc}") from None


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
    from .search.commands import search_command

    try:
        code = search_command(
            study, as_json, output=output, model=model, report=report, stdout=out, stderr=console
        )
    except GuardrailError as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(code)


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
    from .search.commands import eval_command

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
    as_json: JsonOpt = False,
) -> None:
    """Find loop invariants that Z3 proves (data-driven candidates, optionally a model's, Houdini).

    Counterexamples drive repair; nothing is reported solved that Z3 did not prove."""
    from .invariants.command import DEFAULT_TRACE, run_invariants

    try:
        backend = Cached(resolve_model(model), CompletionCache()) if model else None
        summary = run_invariants(
            paths,
            backend,
            budget,
            as_json,
            model_calls=model_calls,
            trace_path=trace or DEFAULT_TRACE,
            console=out,
        )
    except GuardrailError as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(0 if summary.errors == 0 else 1)


@app.command()
def verify(
    target: Annotated[str, typer.Argument(help="The chain to verify: pkg.module:NAME or path/file.py:NAME.")],
    prop: Annotated[
        list[str],
        typer.Option(
            "--property",
            "-p",
            help="Repeatable. 'terminates:K', 'never A before B', 'never A after B', 'never A', "
            "'regex:EVENT-PATTERN', 'every tool result is used', 'defined', 'final:GRAMMAR', "
            "'final-regex:PATTERN'.",
        ),
    ],
    max_states: Annotated[int | None, typer.Option(help="Bound on explored states (default: none).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify a chain of model calls: proven, a counterexample trace, or unknown with the reason.

    Exit code 0 when every property is proven, 1 on a counterexample, 2 when some answer is unknown."""
    from .chains.command import verify_command

    try:
        code = verify_command(target, prop, as_json, max_states=max_states, stdout=out)
    except GuardrailError as exc:
        raise fail(str(exc), code=3) from None
    raise typer.Exit(code)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
