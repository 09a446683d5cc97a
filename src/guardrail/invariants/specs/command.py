"""``guardrail specs FILE.py``: ask a model for each function's type annotations and spec, check them, and
report every function as proven, tested (not proven), refuted with its counterexample, rejected, unknown,
or unsupported with the reason.

Per function: (1) if any annotation is missing, the model proposes an annotated header and mypy decides
(``propose.apropose_annotations``); (2) if the parameters and the result are ``int``/``bool`` (as written,
or as the accepted header says), the model proposes a spec and Z3 or hypothesis decides
(``propose.apropose_spec``; the file's code runs only inside the sandbox). Nothing the model wrote is shown
as accepted unless its check accepted it.
"""

from __future__ import annotations

import ast
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from ..._sync import run_sync
from ..._text import clip
from ...errors import ConfigurationError
from ...models.base import Model
from ...reports.invariants import label, write_specs_report
from .annotations import replace_header
from .check import Conditions, SpecResult, SpecStatus, check_file_spec
from .functions import PythonFile, PythonFunction, SpecSignature, read_functions, with_header
from .propose import apropose_annotations, apropose_spec

STYLES = {"proven": "green", "tested": "cyan", "refuted": "red", "rejected": "yellow", "unknown": "yellow"}


@dataclass
class FunctionReport:
    """One function's row: the spec's status and evidence, and what happened to its annotations."""

    function: str
    line: int
    status: SpecStatus
    message: str
    pre: str | None = None
    post: str | None = None
    counterexample: dict[str, Any] | None = None
    tests: int = 0
    model_calls: int = 0
    answers: list[dict[str, str | None]] = field(default_factory=list)
    annotation: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "line": self.line,
            "status": self.status,
            "pre": self.pre,
            "post": self.post,
            "message": self.message,
            "counterexample": self.counterexample,
            "tests": self.tests,
            "model_calls": self.model_calls,
            "answers": self.answers,
            "annotation": self.annotation,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class SpecsSummary:
    """The run: one ``FunctionReport`` per top-level function of the file."""

    file: Path
    model: str | None
    functions: list[FunctionReport] = field(default_factory=list)
    seconds: float = 0.0
    report_path: Path | None = None

    def count(self, status: str) -> int:
        return sum(1 for f in self.functions if f.status == status)

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for f in self.functions:
            counts[f.status] = counts.get(f.status, 0) + 1
        return {
            "file": str(self.file),
            "model": self.model,
            "counts": counts,
            "model_calls": sum(f.model_calls for f in self.functions),
            "seconds": round(self.seconds, 3),
            "report": str(self.report_path) if self.report_path else None,
            "functions": [f.to_dict() for f in self.functions],
        }


async def arun_specs(
    path: str | Path,
    model: Model,
    *,
    attempts: int = 3,
    annotation_attempts: int = 2,
    max_examples: int = 200,
    timeout_ms: int = 10_000,
    json_out: bool = False,
    console: Console | None = None,
    report_dir: str | Path | None = None,
) -> SpecsSummary:
    """Propose and check annotations and specs for every top-level function of ``path``.

    A file that is not valid Python raises ``DataFileError`` (with ``path`` and ``line``); a function
    outside what specs can say becomes an "unsupported" row with the reason. Prints a table (or the summary
    as JSON) to ``console``; ``report_dir`` (None: none) receives ``specs.md`` and ``specs.html``.
    """
    out = console or Console()
    file = read_functions(path)
    await model.aresolve()
    summary = SpecsSummary(file.path, model.model_id)
    started = time.monotonic()
    with Progress(console=out, transient=True, disable=json_out or len(file.functions) < 2) as progress:
        task = progress.add_task("specs", total=len(file.functions))
        for function in file.functions:
            progress.update(task, description=function.name)
            summary.functions.append(
                await _function_report(
                    file, function, model, attempts, annotation_attempts, max_examples, timeout_ms
                )
            )
            progress.advance(task)
    summary.seconds = time.monotonic() - started
    if report_dir is not None:
        summary.report_path = write_specs_report(summary.to_dict(), Path(report_dir))["html"]
    if json_out:
        out.print_json(json.dumps(summary.to_dict(), default=str))
    else:
        out.print(specs_table(summary))
        counts = ", ".join(
            f"{label(s)} {summary.count(s)}" for s in (*STYLES, "unsupported") if summary.count(s)
        )
        where = f"; report in {summary.report_path}" if summary.report_path else ""
        out.print(f"{len(summary.functions)} functions: {counts or 'none'}{where}", highlight=False)
    return summary


def run_specs(path: str | Path, model: Model, **options: Any) -> SpecsSummary:
    """Sync facade of ``arun_specs``."""
    return run_sync(arun_specs(path, model, **options), "run_specs")


async def _function_report(
    file: PythonFile,
    function: PythonFunction,
    model: Model,
    attempts: int,
    annotation_attempts: int,
    max_examples: int,
    timeout_ms: int,
) -> FunctionReport:
    started = time.monotonic()
    calls = 0
    shown_source = function.source
    node: ast.FunctionDef | ast.AsyncFunctionDef = function.node
    if function.annotated:
        annotation: dict[str, Any] = {"status": "given"}
    elif isinstance(function.node, ast.AsyncFunctionDef):
        annotation = {"status": "unsupported", "reason": "async functions are not annotated here"}
    else:
        try:
            proposal = await apropose_annotations(
                model, file.text, function.name, function.source, attempts=annotation_attempts
            )
        except ConfigurationError as exc:  # mypy missing, a one-line function
            annotation = {"status": "unchecked", "reason": str(exc)}
        else:
            calls += proposal.calls
            if proposal.accepted is not None:
                header = proposal.accepted.header
                annotation = {"status": "accepted", "header": header, "answers": proposal.answers}
                node = with_header(function, header) or node
                shown_source = replace_header(function.source, header, function.name)
            else:
                annotation = {"status": "rejected", "reason": proposal.reason, "answers": proposal.answers}

    signature = SpecSignature.of(node)
    if isinstance(signature, str):
        return FunctionReport(
            function.name,
            function.line,
            "unsupported",
            f"unsupported: {signature}",
            model_calls=calls,
            annotation=annotation,
            seconds=time.monotonic() - started,
        )
    checked = _with_node(function, node)

    def judge(conditions: Conditions) -> SpecResult:
        return check_file_spec(
            file, checked, conditions, signature, timeout_ms=timeout_ms, max_examples=max_examples
        )

    spec = await apropose_spec(
        model, shown_source, signature, judge, attempts=attempts, timeout_ms=timeout_ms
    )
    result = spec.result
    return FunctionReport(
        function.name,
        function.line,
        result.status,
        result.message,
        pre=spec.conditions.pre if spec.conditions else None,
        post=spec.conditions.post if spec.conditions else None,
        counterexample=result.counterexample,
        tests=result.tests,
        model_calls=calls + spec.calls,
        answers=spec.answers,
        annotation=annotation,
        seconds=time.monotonic() - started,
    )


def _with_node(function: PythonFunction, node: ast.FunctionDef | ast.AsyncFunctionDef) -> PythonFunction:
    if node is function.node:
        return function
    return PythonFunction(function.name, function.line, function.source, node)


def specs_table(summary: SpecsSummary) -> Table:
    table = Table(title=f"Specs of {summary.file.name}", show_lines=False)
    table.add_column("function")
    table.add_column("spec")
    table.add_column("requires", overflow="fold", max_width=28)
    table.add_column("ensures", overflow="fold", max_width=36)
    table.add_column("evidence", overflow="fold", max_width=60)
    table.add_column("annotations", overflow="fold", max_width=40)
    for f in summary.functions:
        style = STYLES.get(f.status, "")
        annotation = str(f.annotation.get("status", ""))
        if f.annotation.get("header"):
            annotation += f": {f.annotation['header']}"
        elif f.annotation.get("reason"):
            annotation += f": {clip(str(f.annotation['reason']), 120)}"
        table.add_row(
            f"{f.function} (line {f.line})",
            Text(label(f.status), style=style),
            Text(f.pre or ""),
            Text(f.post or ""),
            Text(clip(f.message, 300)),
            Text(annotation),
        )
    return table
