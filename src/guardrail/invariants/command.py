"""``guardrail invariants FILE_OR_DIR``: solve every problem, print a table (or JSON), keep a JSONL trace and
write a report (Markdown and HTML with a plot of the time per problem) beside it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from ..errors import GuardrailError
from ..models.base import Model
from ..reports.invariants import write_invariants_report
from ._deprecated import DeprecatedSpellings
from .problems.loaders import load_problem, problem_files
from .solve import SolveBudget, SolveResult, solve

DEFAULT_TRACE = Path("invariants-trace.jsonl")


@dataclass
class InvariantsSummary(DeprecatedSpellings):
    """The run's totals and one row per problem (the ``--json`` output)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    results: list[SolveResult] = field(default_factory=list)
    trace_path: Path | None = None
    report_path: Path | None = None
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def solved(self) -> int:
        return sum(1 for r in self.rows if r["outcome"] == "solved")

    @property
    def unsafe(self) -> int:
        return sum(1 for r in self.rows if r["outcome"] == "unsafe")

    @property
    def errors(self) -> int:
        return sum(1 for r in self.rows if r["outcome"] == "error")

    def to_dict(self) -> dict[str, Any]:
        return {
            "solved": self.solved,
            "unsafe": self.unsafe,
            "errors": self.errors,
            "total": self.total,
            "seconds": round(self.seconds, 3),
            "trace": str(self.trace_path) if self.trace_path else None,
            "report": str(self.report_path) if self.report_path else None,
            "problems": self.rows,
        }


def run_invariants(
    paths: str | Path | Iterable[str | Path],
    model: Model | None = None,
    budget_s: float = 60.0,
    json_out: bool = False,
    *,
    model_calls: int = 4,
    trace_path: str | Path | None = DEFAULT_TRACE,
    seed: int = 0,
    chat: bool = False,
    console: Console | None = None,
    report_dir: str | Path | None = None,
) -> InvariantsSummary:
    """Solve each problem file in ``paths`` (files, or directories of ``.c``/``.smt``/``.sl``/``.py``).

    Prints a table (or, with ``json_out``, the summary as JSON) to ``console`` and appends one JSON line per
    event to ``trace_path`` (None: no trace). A file that cannot be loaded becomes an "error" row.
    ``chat=True`` sends the model's prompt as a chat message (for chat-only OpenAI-compatible servers).
    ``report_dir`` (None: no report) receives ``report.md``, ``report.html`` and ``times.png``; see
    ``default_report_dir`` for where the command puts it.
    """
    out = console or Console()
    targets = [paths] if isinstance(paths, str | Path) else list(paths)
    files = problem_files(targets)
    summary = InvariantsSummary(trace_path=Path(trace_path) if trace_path is not None else None)
    budget = SolveBudget(seconds=budget_s, model_calls=model_calls if model is not None else 0)
    started = time.monotonic()
    trace_file = summary.trace_path.open("a", encoding="utf-8") if summary.trace_path else None

    def emit(event: dict[str, Any]) -> None:
        if trace_file is not None:
            trace_file.write(json.dumps(event, default=str) + "\n")
            trace_file.flush()

    try:
        with Progress(console=out, transient=True, disable=json_out or len(files) < 2) as progress:
            task = progress.add_task("invariants", total=len(files))
            for path in files:
                progress.update(task, description=f"{path.name}")
                summary.rows.append(_solve_file(path, model, budget, seed, chat, emit, summary))
                progress.advance(task)
    finally:
        if trace_file is not None:
            trace_file.close()
    summary.seconds = time.monotonic() - started
    if report_dir is not None:
        summary.report_path = write_invariants_report(summary.to_dict(), Path(report_dir))["html"]
    if json_out:
        out.print_json(json.dumps(summary.to_dict()))
    else:
        out.print(summary_table(summary))
        where = f"; trace in {summary.trace_path}" if summary.trace_path else ""
        where += f"; report in {summary.report_path}" if summary.report_path else ""
        out.print(
            f"solved {summary.solved}/{summary.total}, unsafe {summary.unsafe}, errors {summary.errors} "
            f"in {summary.seconds:.1f} s{where}",
            highlight=False,
        )
    return summary


def default_report_dir(trace_path: Path) -> Path:
    """Beside the trace, named after it: ``invariants-trace.jsonl`` → ``invariants-report/``,
    ``runs/a.jsonl`` → ``runs/a-report/``."""
    return trace_path.with_name(trace_path.stem.removesuffix("-trace") + "-report")


def _solve_file(
    path: Path,
    model: Model | None,
    budget: SolveBudget,
    seed: int,
    chat: bool,
    emit: Callable[[dict[str, Any]], None],
    summary: InvariantsSummary,
) -> dict[str, Any]:
    try:
        problem = load_problem(path)
    except GuardrailError as exc:
        row = {"problem": path.name, "source": str(path), "outcome": "error", "error": str(exc)}
        emit({"event": "error", **row})
        return row
    emit({"event": "start", "problem": problem.name, "source": str(path), "kind": problem.kind})
    result = solve(problem, model=model, budget=budget, seed=seed, trace=emit, chat=chat)
    summary.results.append(result)
    return result.to_dict()


def summary_table(summary: InvariantsSummary) -> Table:
    table = Table(title="Loop invariants", show_lines=False)
    table.add_column("problem")
    table.add_column("outcome")
    table.add_column("invariant / reason", overflow="fold", max_width=70)
    table.add_column("found by")
    table.add_column("proposals", justify="right")
    table.add_column("model calls", justify="right")
    table.add_column("solver s", justify="right")
    styles = {"solved": "green", "unsafe": "yellow", "unknown": "red", "error": "red"}
    for row in summary.rows:
        outcome = row["outcome"]
        detail = (
            row.get("invariant")
            or row.get("violation")
            or row.get("error")
            or "; ".join(row.get("notes", []))
        )
        detail = detail.splitlines()[0] if detail else ""
        table.add_row(
            row["problem"],
            f"[{styles.get(outcome, '')}]{outcome}[/]",
            Text(detail or ""),
            row.get("found_by") or "",
            str(row.get("proposals", "")),
            str(row.get("model_calls", "")),
            f"{row['solver_seconds']:.2f}" if "solver_seconds" in row else "",
        )
    return table
