"""The function behind ``guardrail verify CHAIN_MODULE:NAME --property ...`` (the typer CLI wires it).

``target`` names your chain: ``package.module:NAME`` (imported by module name, with the current folder on
the import path) or ``path/to/file.py:NAME``. ``NAME`` is a ``Chain`` or a function returning one. This
imports *your* code, as ``python -m`` would; no model output is ever imported or executed.

The exit code says how it went: 0 when every property is proven, 1 when any has a counterexample, 2 when
none has a counterexample but some are unknown.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .._text import clip
from ..errors import ConfigurationError
from .chain import Chain
from .properties import PROPERTY_SYNTAX, Property, parse_property
from .run import jsonable
from .verify import Answer, Counterexample, Proven, Unknown, verify

__all__ = ["load_chain", "verify_command"]


def verify_command(
    target: str,
    properties: list[str],
    json_out: bool,
    *,
    max_states: int | None = None,
    stdout: Console | None = None,
) -> int:
    """Verify each property of the chain ``target``; print a table (or JSON with ``json_out``)."""
    out = stdout or Console()
    if not properties:
        raise ConfigurationError(f"give at least one --property; the syntax is one of: {PROPERTY_SYNTAX}")
    chain = load_chain(target)
    parsed: list[Property] = [parse_property(p) for p in properties]
    answers = [verify(chain, p, max_states=max_states) for p in parsed]
    if json_out:
        report = {"chain": chain.name, "target": target, "results": [a.to_dict() for a in answers]}
        out.print_json(json.dumps(report, default=str))
    else:
        _print(chain, answers, out)
    if any(isinstance(a, Counterexample) for a in answers):
        return 1
    return 0 if all(isinstance(a, Proven) for a in answers) else 2


def load_chain(target: str) -> Chain:
    """The chain named by ``module:NAME`` or ``file.py:NAME``."""
    where, sep, name = target.rpartition(":")
    if not sep or not where or not name.isidentifier():
        raise ConfigurationError(
            f"cannot read the chain target {target!r}; write MODULE:NAME (e.g. my_agents.mail:SAFE) "
            "or path/to/file.py:NAME"
        )
    if where.endswith(".py") or "/" in where or "\\" in where:
        path = Path(where)
        if not path.is_file():
            raise ConfigurationError(f"chain target {target!r}: there is no file {path}")
        spec = importlib.util.spec_from_file_location(f"guardrail_chain_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ConfigurationError(f"chain target {target!r}: cannot load {path} as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        if "" not in sys.path and str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))  # like `python -m`: your modules in this folder import
        try:
            module = importlib.import_module(where)
        except ModuleNotFoundError as e:
            raise ConfigurationError(
                f"chain target {target!r}: cannot import {where!r} ({e}); run from the folder it is "
                "importable from, or give a file path (path/to/file.py:NAME)"
            ) from None
    found = getattr(module, name, None)
    if inspect.isfunction(found):  # a factory of chains
        found = found()
    if not isinstance(found, Chain):
        chains = sorted(n for n, v in vars(module).items() if isinstance(v, Chain))
        raise ConfigurationError(
            f"chain target {target!r}: {name!r} is not a Chain in {where} "
            f"(chains there: {', '.join(chains) or 'none'})"
        )
    return found


def _print(chain: Chain, answers: list[Answer], out: Console) -> None:
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
    out.print(table)
    for answer in answers:
        if isinstance(answer, Counterexample):
            out.print(_trace_table(answer))


def _trace_table(answer: Counterexample) -> Table:
    table = Table(title=f"counterexample to {answer.property!r}")
    for column in ("#", "step", "event", "output / result", "note"):
        table.add_column(column, overflow="fold")
    for i, step in enumerate(answer.trace, start=1):
        if step.stopped:
            shown = "(not run)"
        elif step.kind == "model":
            shown = repr(step.output)
        else:
            shown = clip(repr(jsonable(step.value)), 80)
        table.add_row(str(i), step.step, step.event or "", shown, step.note)
    return table
