"""``guardrail verify MODULE:CHAIN -p PROPERTY``: a chain's properties, proven or refuted."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import GuardrailError
from ._app import JsonOpt, app, fail, out


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
    from ..chains.command import verify_command

    try:
        code = verify_command(target, prop, as_json, max_states=max_states, stdout=out)
    except GuardrailError as exc:
        raise fail(str(exc), code=3) from None
    raise typer.Exit(code)
