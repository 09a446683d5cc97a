"""``guardrail verify MODULE:CHAIN -p PROPERTY``: a chain's properties, proven or refuted.

The exit code says how it went: 0 when every property is proven, 1 when any has a counterexample, 2 when
none has a counterexample but some are unknown, 3 on a usage error (a bad target or property).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .._text import quoted, show_value
from ..chains.chain import Chain
from ..chains.properties import PROPERTY_SYNTAX, Property, parse_property
from ..chains.run import jsonable
from ..chains.target import load_chain
from ..chains.verify import Answer, Counterexample, Proven, Unknown, verify
from ..errors import ConfigurationError, GuardrailError
from ._app import JsonOpt, app, fail, out

__all__ = ["exit_code", "verify_command"]


def verify_command(
    target: str,
    properties: list[str],
    json_out: bool,
    *,
    max_states: int | None = None,
    stdout: Console | None = None,
) -> int:
    """Verify each property of the chain ``target``; print a table (or JSON with ``json_out``); return the
    exit code."""
    console = stdout or Console()
    if not properties:
        raise ConfigurationError(f"give at least one --property; the syntax is one of: {PROPERTY_SYNTAX}")
    chain = load_chain(target)
    parsed: list[Property] = [parse_property(p) for p in properties]
    answers = [verify(chain, p, max_states=max_states) for p in parsed]
    if json_out:
        report = {"chain": chain.name, "target": target, "results": [a.to_dict() for a in answers]}
        console.print_json(json.dumps(report, default=str))
    else:
        _print(chain, answers, console)
    return exit_code(answers)


def exit_code(answers: list[Answer]) -> int:
    """1 if any answer is a counterexample, else 0 if all are proven, else 2."""
    if any(isinstance(a, Counterexample) for a in answers):
        return 1
    return 0 if all(isinstance(a, Proven) for a in answers) else 2


def _print(chain: Chain, answers: list[Answer], console: Console) -> None:
    table = Table(title=f"verify {chain.name}")
    table.add_column("property")
    table.add_column("answer")
    table.add_column("details", overflow="fold")
    colors = {"proven": "green", "counterexample": "red", "unknown": "yellow"}
    for answer in answers:
        if isinstance(answer, Proven):
            detail = answer.detail
        elif isinstance(answer, Unknown):
            detail = answer.reason
        else:
            detail = f"{answer.violation} ({answer.detail})"
        table.add_row(answer.property, f"[{colors[answer.status]}]{answer.status}[/]", detail)
    console.print(table)
    for answer in answers:
        if isinstance(answer, Counterexample):
            console.print(_trace_table(answer))


def _trace_table(answer: Counterexample) -> Table:
    table = Table(title=f"counterexample to {answer.property!r}")
    for column in ("#", "step", "event", "output / result", "note"):
        table.add_column(column, overflow="fold")
    for i, step in enumerate(answer.trace, start=1):
        if step.stopped:
            shown = "(not run)"
        elif step.kind == "model":
            shown = quoted(step.output or "", 200)
        else:
            shown = show_value(jsonable(step.value), 80)
        table.add_row(str(i), step.step, step.event or "", shown, step.note)
    return table


@app.command(name="verify")
def verify_chain(
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
    try:
        code = verify_command(target, prop, as_json, max_states=max_states, stdout=out)
    except GuardrailError as exc:
        raise fail(str(exc), code=3) from None
    raise typer.Exit(code)
