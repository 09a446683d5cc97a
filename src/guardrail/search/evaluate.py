"""Evaluate one prompt on a suite: every case once, accuracy with a Wilson interval, a resumable store.

The prompt is a template file (``.j2``/``.txt``) or a ``winner.yaml`` written by a study (its baked
template, label words and request settings apply). It runs through the same ``Evaluator`` as a study,
as a space of one candidate, so a rerun into the same folder makes no repeated calls.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import _yaml as safe_yaml
from .._secrets import scrub_data
from ..errors import ConfigurationError, DataFileError
from ..models.base import Model
from ..prompt import Template
from ..resources import confined_file
from ..suites.case import Suite
from ..suites.loaders import load_suite
from .progress import Counters, SearchProgress
from .runner import Evaluator
from .space import Candidate, PromptSpace
from .splits import Splits
from .stats import Interval, wilson
from .store import Outcome, StudyStore
from .study import ScorerConfig, build_scorer


@dataclass
class EvalResult:
    suite: str
    prompt: str
    model: str
    candidate: Candidate
    outcomes: list[Outcome]
    counters: Counters
    skipped_rows: int
    folder: Path

    @property
    def n(self) -> int:
        return len(self.outcomes)

    @property
    def correct(self) -> int:
        return sum(o.correct for o in self.outcomes)

    @property
    def errors(self) -> int:
        return sum(o.error is not None for o in self.outcomes)

    @property
    def accuracy(self) -> Interval:
        return wilson(self.correct, self.n)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "suite": self.suite,
            "prompt": self.prompt,
            "model": self.model,
            "n": self.n,
            "accuracy": self.accuracy.to_dict(),
            "correct": self.correct,
            "errors": self.errors,
            "this_run": self.counters.to_dict(),
            "skipped_rows": self.skipped_rows,
            "store": str(self.folder / "results.sqlite"),
        }
        return scrub_data(data)  # the model spec may carry a URL's credentials


def prompt_space_from_file(prompt: Path, *, max_tokens: int, stop: Sequence[str]) -> PromptSpace:
    """A one-candidate space for a template file or a study's ``winner.yaml``."""
    if not prompt.is_file():
        raise DataFileError(f"prompt file {str(prompt)!r} does not exist", path=prompt)
    request = {"max_tokens": max_tokens, "temperature": 0.0, "stop": list(stop)}
    if prompt.suffix in (".yaml", ".yml"):
        data = safe_yaml.load(prompt, what="prompt settings")
        if not isinstance(data, dict) or "settings" not in data:
            raise DataFileError(
                f"{prompt}: expected a winner.yaml written by 'guardrail search'", path=prompt
            )
        settings = dict(data["settings"])
        template_name = data.get("template")
        # The template beside the settings file, confined like any template a file names.
        beside = (
            confined_file(str(template_name), (prompt.parent,), what="template") if template_name else None
        )
        if beside is not None:
            source = Template.from_file(beside).source
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


async def aevaluate_prompt(
    suite_path: Path,
    prompt: Path,
    *,
    model_factory: Callable[[str], Model],
    format: str | None = None,
    model: str = "local",
    scorer: str = "default",
    limit: int | None = None,
    max_tokens: int = 16,
    stop: Sequence[str] = ("\n",),
    concurrency: int = 2,
    output: Path | None = None,
    progress: bool = False,
) -> EvalResult:
    """Evaluate ``prompt`` on the suite in ``suite_path`` with the model ``model_factory(model)``."""
    cases_suite: Suite = load_suite(suite_path, format, strict=False)
    if limit is not None:
        cases_suite = cases_suite.head(limit)
    space = prompt_space_from_file(prompt, max_tokens=max_tokens, stop=stop)
    space.check_variables({name for case in cases_suite.cases for name in case.variables})
    candidate = space.candidates()[0]
    if cases_suite.labels is None and candidate.labels:
        # A prompt with label words names the labels, for suites (JSONL, CSV) that do not.
        cases_suite = replace(cases_suite, labels=tuple(candidate.labels))
    chosen = build_scorer(ScorerConfig(kind=scorer), cases_suite, prompt.parent, model_factory)
    folder = output or Path(tempfile.mkdtemp(prefix="guardrail-eval-"))
    folder.mkdir(parents=True, exist_ok=True)
    store = StudyStore(folder / "results.sqlite")
    try:
        with SearchProgress(enabled=progress) as bar:
            evaluator = Evaluator(
                space=space,
                candidates=[candidate],
                splits=Splits((), tuple(cases_suite.cases), ()),
                scorer=chosen,
                model_for=lambda c: model_factory(model),
                store=store,
                concurrency=concurrency,
                progress=bar,
            )
            outs = (await evaluator.evaluate([candidate.id], cases_suite.cases, "eval"))[candidate.id]
        store.export_jsonl(folder / "results.jsonl")
    finally:
        store.close()
    return EvalResult(
        suite=cases_suite.name,
        prompt=str(prompt),
        model=model,
        candidate=candidate,
        outcomes=outs,
        counters=bar.counters,
        skipped_rows=len(cases_suite.problems),
        folder=folder,
    )
