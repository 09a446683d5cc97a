"""``guardrail generate PROMPT``: one completion, streamed, cached."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import GuardrailError
from ..models import Cached, CompletionCache, Message, Model, Request, resolve_model
from ._app import JsonOpt, ModelOpt, app, console, fail, out


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
