"""Command functions behind ``guardrail search`` and ``guardrail eval`` (the typer CLI wires them).

Both return the process exit code (0) and raise ``GuardrailError`` subclasses for things a person must
fix (a missing file, a malformed suite or study, an unknown model); the CLI prints those.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from .._sync import run_sync
from ..errors import ConfigurationError, DataFileError
from ..models.base import Model
from ..suites.loaders import load_suite
from ..suites.scorers import Scorer
from ..templates import PromptSpace, Template
from .progress import SearchProgress
from .runner import Evaluator
from .splits import Splits
from .stats import wilson
from .store import StudyStore
from .study import ScorerConfig, Study, StudyResult, build_scorer


def search_command(
    study_yaml: Path,
    json_out: bool = False,
    *,
    output: Path | None = None,
    model: str | None = None,
    progress: bool | None = None,
    report: bool = True,
    model_factory: Callable[[str], Model] | None = None,
    stdout: Console | None = None,
    stderr: Console | None = None,
) -> int:
    """Run the study in ``study_yaml``; print a summary (or, with ``json_out``, a JSON object) on stdout.

    ``output`` overrides the study folder, ``model`` the study's model spec; ``report=False`` skips the
    Markdown/HTML report and plot. Rerunning the same study resumes from its folder without repeating
    finished calls.
    """
    out = stdout or Console()
    err = stderr or Console(stderr=True)
    study = Study.from_yaml(
        study_yaml,
        output=output,
        report=report,
        model_factory=model_factory,
        progress=(not json_out and sys.stderr.isatty()) if progress is None else progress,
    )
    if model is not None:
        study.config = study.config.model_copy(update={"model": model})
    result = study.run()
    if json_out:
        out.print_json(json.dumps(result.summary(), default=str))
    else:
        _print_result(result, out)
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    return 0


def _print_result(result: StudyResult, out: Console) -> None:
    table = Table(title=f"study {result.name}: {result.strategy}, {len(result.candidates)} candidates")
    for col in ("#", "id", "candidate", "status", "cases", "accuracy [95% CI]"):
        table.add_column(col, justify="right" if col in ("#", "cases") else "left")
    for i, r in enumerate(result.candidates[:15], 1):
        status = r.status + (f" @{r.eliminated_at}" if r.eliminated_at else "")
        table.add_row(str(i), r.id, r.label, status, str(r.n), str(r.interval) if r.n else "–")
    if len(result.candidates) > 15:
        table.caption = f"... {len(result.candidates) - 15} more in the report"
    out.print(table)
    w = result.winner
    out.print(f"[bold green]winner[/] {w.id}: {w.label}", highlight=False)
    out.print(f"  validation {w.interval} on {w.n} cases", highlight=False)
    if w.test is not None:
        reads = len(result.test_reads)
        out.print(
            f"  test       {w.test} on {w.test_n} cases (test split read {reads}× in this folder)",
            highlight=False,
        )
    out.print(
        f"  calls spent {result.calls_spent:,}; a full grid would spend {result.grid_calls:,}",
        highlight=False,
    )
    out.print(
        f"  report: {result.folder / 'report.md'}  winner prompt: {result.winner_files.get('template', '')}",
        highlight=False,
    )


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
    out = stdout or Console()
    cases_suite = load_suite(suite, format, strict=False)
    if limit is not None:
        cases_suite = cases_suite.head(limit)
    space = _single_prompt_space(prompt, max_tokens=max_tokens, stop=stop)
    space.check_variables({name for case in cases_suite.cases for name in case.variables})
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

    candidate = space.candidates()[0]
    if cases_suite.labels is None and candidate.labels:
        # A prompt with label words names the labels, for suites (JSONL, CSV) that do not.
        cases_suite = replace(cases_suite, labels=tuple(candidate.labels))
    chosen: Scorer = build_scorer(ScorerConfig(kind=scorer), cases_suite, prompt.parent, factory)
    folder = output or Path(tempfile.mkdtemp(prefix="guardrail-eval-"))
    folder.mkdir(parents=True, exist_ok=True)
    store = StudyStore(folder / "results.sqlite")
    show = not json_out and sys.stderr.isatty()

    async def run() -> dict[str, Any]:
        try:
            with SearchProgress(enabled=show) as progress:
                evaluator = Evaluator(
                    space=space,
                    candidates=[candidate],
                    splits=Splits((), tuple(cases_suite.cases), ()),
                    scorer=chosen,
                    model_for=lambda c: factory(model),
                    store=store,
                    concurrency=concurrency,
                    progress=progress,
                )
                outs = (await evaluator.evaluate([candidate.id], cases_suite.cases, "eval"))[candidate.id]
            correct = sum(o.correct for o in outs)
            return {
                "suite": cases_suite.name,
                "prompt": str(prompt),
                "model": model,
                "n": len(outs),
                "accuracy": wilson(correct, len(outs)).as_dict(),
                "correct": correct,
                "errors": sum(o.error is not None for o in outs),
                "this_run": progress.counters.as_dict(),
                "skipped_rows": len(cases_suite.problems),
                "store": str(store.path),
            }
        finally:
            store.close()
            if model_factory is None:
                for m in models.values():
                    await m.aclose()

    summary = run_sync(run(), "eval_command")
    if json_out:
        out.print_json(json.dumps(summary))
    else:
        acc = summary["accuracy"]
        out.print(
            f"{summary['suite']}: {acc['estimate']:.1%} [{acc['low']:.1%}, {acc['high']:.1%}] on "
            f"{summary['n']} cases with {prompt.name} ({summary['errors']} errors, "
            f"{summary['this_run']['model_calls']} calls)",
            highlight=False,
        )
    return 0


def _single_prompt_space(prompt: Path, *, max_tokens: int, stop: Sequence[str]) -> PromptSpace:
    if not prompt.is_file():
        raise DataFileError(f"prompt file {str(prompt)!r} does not exist")
    request = {"max_tokens": max_tokens, "temperature": 0.0, "stop": list(stop)}
    if prompt.suffix in (".yaml", ".yml"):
        data = yaml.safe_load(prompt.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "settings" not in data:
            raise DataFileError(f"{prompt}: expected a winner.yaml written by 'guardrail search'")
        settings = dict(data["settings"])
        template_name = data.get("template")
        if template_name == "winner.j2" or (template_name and (prompt.parent / str(template_name)).is_file()):
            source = (prompt.parent / str(template_name)).read_text(encoding="utf-8")
        elif data.get("examples"):
            raise ConfigurationError(
                f"{prompt}: this prompt has few-shot examples but no baked template beside it; "
                "evaluate it inside its study instead"
            )
        elif isinstance(settings.get("template"), dict) and "source" in settings["template"]:
            source = str(settings["template"]["source"])
        else:
            source = Template.load(str(settings["template"]), base_dir=prompt.parent).source
        fixed = {
            k: v for k, v in settings.items() if k not in ("template", "k", "selection", "order", "seed")
        }
        fixed["template"] = {"source": source}
        fixed["request"] = dict(data.get("request") or request)
        return PromptSpace(
            name=prompt.stem, dimensions={}, fixed=fixed, base_dir=prompt.parent, source=str(prompt)
        )
    source = Template.from_file(prompt).source
    return PromptSpace(
        name=prompt.stem,
        dimensions={},
        fixed={"template": {"source": source}},
        request=request,
        base_dir=prompt.parent,
        source=str(prompt),
    )
