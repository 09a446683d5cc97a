"""A study: a suite, a prompt space, splits, a strategy and a model, run into a study folder.

The folder holds ``results.sqlite`` (the store; a rerun resumes from it), ``results.jsonl``,
``summary.json`` and the winning prompt (``winner.j2`` and ``winner.yaml``); ``guardrail.reports``
adds ``report.md``, ``report.html`` and ``accuracy.png``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import _yaml as safe_yaml
from .._secrets import scrub_data
from .._sync import run_sync
from ..errors import ConfigurationError, DataFileError
from ..models.base import Model
from ..prompt import Template
from ..resources import confined_file, prompts_dir
from ..store import write_text_file
from ..suites.case import Case, Suite
from ..suites.loaders import load_suite
from ..suites.scorers import Exact, LabelOf, Normalized, Numeric, Regex, Scorer
from .progress import Counters, SearchProgress
from .runner import Evaluator
from .space import Candidate, PromptSpace, bake
from .splits import Splits, SplitSpec, make_splits
from .stats import SMALL_N, Interval, PairedComparison, paired_bootstrap, separation_warning, wilson
from .store import Outcome, StudyStore
from .strategies import Selection, Strategy, make_strategy

DEFAULT_OUTPUT_ROOT = "guardrail-studies"


# ------------------------------------------------------------------------------------------------ config


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrainFileConfig(_Strict):
    path: str
    format: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class ScorerConfig(BaseModel):
    """``kind`` plus that scorer's options (``mode``, ``pattern``, ``labels``, ``program``, ...)."""

    model_config = ConfigDict(extra="allow")
    kind: Literal[
        "default", "exact", "normalized", "numeric", "regex", "label", "code", "racket", "judge"
    ] = "default"


class SuiteConfig(_Strict):
    path: str
    format: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    train: TrainFileConfig | None = None
    scorer: ScorerConfig = Field(default_factory=ScorerConfig)
    limit: int | None = None
    on_malformed: Literal["skip", "error"] = "skip"


class SplitConfig(_Strict):
    train: float = 0.2
    validation: float = 0.4
    test: float = 0.4
    seed: int = 0
    stratify: bool = True
    train_max: int | None = None
    validation_max: int | None = None
    test_max: int | None = None


class StrategyConfig(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: str = "racing"


class StudyConfig(_Strict):
    name: str
    description: str = ""
    suite: SuiteConfig
    space: str | dict[str, Any]
    splits: SplitConfig = Field(default_factory=SplitConfig)
    strategy: StrategyConfig = Field(default_factory=StrategyConfig)
    model: str = "local"
    concurrency: int = Field(default=2, ge=1)
    #: True: guardrail's default model cache; False: none; a string: that cache file.
    cache: bool | str = True
    output: str | None = None
    confidence: float = Field(default=0.95, gt=0, lt=1)
    #: How many of the best candidates are evaluated on the test split (1 = only the winner).
    test_top: int = Field(default=1, ge=1)

    @classmethod
    def from_yaml(cls, path: Path) -> StudyConfig:
        data = safe_yaml.load(path, what="study file")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise DataFileError(f"{path}: {problems}") from None


def build_scorer(
    config: ScorerConfig, suite: Suite, base_dir: Path, model_factory: Callable[[str], Model]
) -> Scorer:
    options = dict(config.model_extra or {})
    kind = config.kind
    try:
        if kind == "default":
            if suite.scorer is None:
                raise ConfigurationError(
                    f"suite {suite.name!r} suggests no scorer; set suite.scorer.kind in the study"
                )
            return suite.scorer
        if kind == "exact":
            return Exact(**options)
        if kind == "normalized":
            return Normalized(**options)
        if kind == "numeric":
            return Numeric(**options)
        if kind == "regex":
            return Regex(**options)
        if kind == "label":
            labels = options.pop("labels", None) or suite.labels
            if not labels:
                raise ConfigurationError(
                    "a label scorer needs labels (the suite has none): set suite.scorer.labels"
                )
            return LabelOf(labels, **options)
        if kind == "code":
            from ..sandbox import Limits
            from ..suites.code_tests import CodeAgainstTests

            limits = {k: options.pop(k) for k in ("wall_s", "cpu_s", "memory_mb") if k in options}
            return CodeAgainstTests(options.pop("program", "plain"), limits=Limits(**limits), **options)
        if kind == "racket":
            from ..suites.code_tests import RacketAgainstTests

            return RacketAgainstTests(**options)
        from ..suites.judge import LLMJudge

        template = options.pop("template", None)
        judge_model = model_factory(str(options.pop("model", "local")))
        tpl = Template.load(str(template), base_dir=base_dir) if template else None
        return LLMJudge(judge_model, tpl, **options) if tpl else LLMJudge(judge_model, **options)
    except TypeError as exc:
        raise ConfigurationError(f"bad options for scorer {kind!r}: {exc}") from None


# ------------------------------------------------------------------------------------------------ results


@dataclass
class CandidateResult:
    id: str
    label: str
    choices: dict[str, Any]
    n: int
    correct: int
    interval: Interval
    errors: int
    status: Literal["winner", "survivor", "eliminated", "not evaluated"]
    eliminated_at: int | None = None
    test: Interval | None = None
    test_n: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "choices": self.choices,
            "n": self.n,
            "correct": self.correct,
            "accuracy": self.interval.to_dict(),
            "errors": self.errors,
            "status": self.status,
            "eliminated_at": self.eliminated_at,
            "test": None if self.test is None else {**self.test.to_dict(), "n": self.test_n},
        }


@dataclass
class StudyResult:
    name: str
    folder: Path
    strategy: str
    stopped: str
    candidates: list[CandidateResult]
    winner: CandidateResult
    runner_up: CandidateResult | None
    comparison: PairedComparison | None
    calls_spent: int
    grid_calls: int
    validation_size: int
    test_size: int
    split_sizes: dict[str, int]
    counters: Counters
    test_reads: list[dict[str, Any]]
    warnings: list[str]
    case_errors: list[dict[str, str]]
    selection: Selection
    model: str
    winner_files: dict[str, str] = field(default_factory=dict)
    confidence: float = 0.95

    def summary(self) -> dict[str, Any]:
        """The machine-readable summary (``--json``)."""
        w = self.winner
        summary = {
            "study": self.name,
            "folder": str(self.folder),
            "strategy": self.strategy,
            "stopped": self.stopped,
            "model": self.model,
            "winner": {"id": w.id, "label": w.label, "choices": w.choices, "files": self.winner_files},
            "validation": {**w.interval.to_dict(), "n": w.n},
            "test": None if w.test is None else {**w.test.to_dict(), "n": w.test_n},
            "validation_test_gap": None if w.test is None else w.interval.estimate - w.test.estimate,
            "runner_up": None
            if self.runner_up is None
            else {
                "id": self.runner_up.id,
                "label": self.runner_up.label,
                "validation": self.runner_up.interval.to_dict(),
            },
            "best_vs_runner_up": None if self.comparison is None else self.comparison.to_dict(),
            "calls_spent": self.calls_spent,
            "grid_calls": self.grid_calls,
            "candidates": len(self.candidates),
            "splits": self.split_sizes,
            "this_run": self.counters.to_dict(),
            "test_reads": self.test_reads,
            "warnings": self.warnings,
        }
        return scrub_data(summary)  # the model spec may carry a URL's credentials


# ------------------------------------------------------------------------------------------------ study


class Study:
    """Runs a ``StudyConfig``. ``model_factory`` turns a model spec into a ``Model`` (tests pass scripted
    models); by default specs go through ``resolve_model`` and the model cache."""

    def __init__(
        self,
        config: StudyConfig,
        *,
        base_dir: Path = Path("."),
        output: Path | None = None,
        model_factory: Callable[[str], Model] | None = None,
        progress: bool = False,
    ):
        self.config = config
        self.base_dir = base_dir
        self.folder = output or (
            Path(config.output) if config.output else Path(DEFAULT_OUTPUT_ROOT) / config.name
        )
        if config.output and not Path(config.output).is_absolute() and output is None:
            self.folder = base_dir / config.output
        self._factory = model_factory or self._default_factory
        # Models from a caller's factory belong to the caller; only models we resolved are closed here.
        self._owns_models = model_factory is None
        self._models: dict[str, Model] = {}
        self.show_progress = progress

    @classmethod
    def from_yaml(cls, path: str | Path, **kwargs: Any) -> Study:
        p = Path(path)
        return cls(StudyConfig.from_yaml(p), base_dir=p.parent, **kwargs)

    # -- models --------------------------------------------------------------------------------------
    def _default_factory(self, spec: str) -> Model:
        from ..models import Cached, resolve_model

        model = resolve_model(spec)
        cache = self.config.cache
        if cache is False:
            return model
        return Cached(model, None if cache is True else self._path(str(cache)))

    def model(self, spec: str) -> Model:
        if spec not in self._models:
            self._models[spec] = self._factory(spec)
        return self._models[spec]

    def _path(self, text: str) -> Path:
        p = Path(text).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def _data_file(self, name: str, what: str) -> Path:
        """A data file the study reads: beside the study or in the shipped ``prompts/``, or anywhere by
        an absolute path, but never a hidden file or a system folder (a shared study file must not read
        ``/proc/self/environ`` or ``~/.ssh/id_rsa`` into its cases)."""
        found = confined_file(name, (self.base_dir, prompts_dir()), what=what, outside_ok=True)
        if found is None:
            raise DataFileError(
                f"{what} {name!r} does not exist beside the study ({self.base_dir})", path=name
            )
        return found

    # -- inputs --------------------------------------------------------------------------------------
    def load_suite(self) -> tuple[Suite, Suite | None]:
        sc = self.config.suite
        strict = sc.on_malformed == "error"
        suite = load_suite(self._data_file(sc.path, "suite file"), sc.format, strict=strict, **sc.options)
        if sc.limit is not None:
            suite = suite.head(sc.limit)
        train = None
        if sc.train is not None:
            train = load_suite(
                self._data_file(sc.train.path, "train file"),
                sc.train.format,
                strict=strict,
                **sc.train.options,
            )
        return suite, train

    def load_space(self) -> PromptSpace:
        space = self.config.space
        if isinstance(space, dict):
            return PromptSpace.from_dict(space, base_dir=self.base_dir, source=f"{self.config.name}:space")
        return PromptSpace.load(space, base_dir=self.base_dir)

    def strategy(self) -> Strategy:
        options = dict(self.config.strategy.model_extra or {})
        return make_strategy(self.config.strategy.kind, **options)

    # -- run -----------------------------------------------------------------------------------------
    def run(self) -> StudyResult:
        return run_sync(self.arun(), "Study.run")

    async def arun(self) -> StudyResult:
        cfg = self.config
        suite, train_suite = self.load_suite()
        space = self.load_space()
        variables = {name for case in suite.cases for name in case.variables}
        space.check_variables(variables)
        scorer = build_scorer(cfg.suite.scorer, suite, self.base_dir, self.model)
        splits = make_splits(
            suite.cases, SplitSpec(**cfg.splits.model_dump()), train_suite.cases if train_suite else None
        )
        candidates = space.candidates()
        strategy = self.strategy()
        self.folder.mkdir(parents=True, exist_ok=True)
        store = StudyStore(self.folder / "results.sqlite")
        try:
            store.remember_candidates((c.id, c.label, dict(c.choices)) for c in candidates)
            store.event(
                "run", {"config": cfg.model_dump(), "config_hash": _config_hash(cfg), "python": sys.version}
            )
            with SearchProgress(enabled=self.show_progress) as progress:
                evaluator = Evaluator(
                    space=space,
                    candidates=candidates,
                    splits=splits,
                    scorer=scorer,
                    model_for=lambda c: self.model(c.model or cfg.model),
                    store=store,
                    concurrency=cfg.concurrency,
                    progress=progress,
                )
                selection = await strategy.run([c.id for c in candidates], evaluator)
                store.event(
                    "selection",
                    {
                        "winner": selection.winner,
                        "stopped": selection.stopped,
                        "evaluated": selection.evaluated,
                    },
                )
                finalists = _finalists(selection, store, splits, cfg.test_top)
                test_cases = splits.read_test(
                    f"final evaluation of the chosen prompt(s) by {strategy.name}",
                    finalists,
                    store.record_test_read,
                )
                test_results = await evaluator.evaluate(finalists, test_cases, "test")
            result = self._result(
                cfg, suite, space, candidates, splits, selection, store, test_results, progress.counters
            )
            store.export_jsonl(self.folder / "results.jsonl")
            result.winner_files = _write_winner(
                self.folder,
                space,
                next(c for c in candidates if c.id == result.winner.id),
                splits,
                test_cases,
            )
            write_text_file(
                self.folder / "summary.json", json.dumps(result.summary(), indent=2, default=str) + "\n"
            )
            return result
        finally:
            store.close()
            if self._owns_models:
                for model in self._models.values():
                    await model.aclose()
            self._models.clear()

    def _result(
        self,
        cfg: StudyConfig,
        suite: Suite,
        space: PromptSpace,
        candidates: Sequence[Candidate],
        splits: Splits,
        selection: Selection,
        store: StudyStore,
        test_results: dict[str, list[Outcome]],
        counters: Counters,
    ) -> StudyResult:
        conf = cfg.confidence
        eliminated_at = {e.candidate: e.at_n for e in selection.eliminated}
        val_ids = [c.id for c in splits.validation]
        outcomes: dict[str, list[Outcome]] = {}
        rows: list[CandidateResult] = []
        for cand in candidates:
            n = selection.evaluated.get(cand.id, 0)
            got = store.get_many(cand.id, val_ids[:n])
            outs = [got[i] for i in val_ids[:n] if i in got]
            outcomes[cand.id] = outs
            correct = sum(o.correct for o in outs)
            status: Literal["winner", "survivor", "eliminated", "not evaluated"]
            if cand.id == selection.winner:
                status = "winner"
            elif cand.id in eliminated_at:
                status = "eliminated"
            elif n == 0:
                status = "not evaluated"
            else:
                status = "survivor"
            row = CandidateResult(
                cand.id,
                cand.label,
                {k: v for k, v in cand.names.items()},
                len(outs),
                correct,
                wilson(correct, len(outs), conf),
                sum(o.error is not None for o in outs),
                status,
                eliminated_at.get(cand.id),
            )
            if cand.id in test_results:
                t = test_results[cand.id]
                row.test, row.test_n = wilson(sum(o.correct for o in t), len(t), conf), len(t)
            rows.append(row)
        rows.sort(key=lambda r: (r.status != "winner", -r.n, -r.interval.estimate if r.n else 1.0, r.id))
        winner = rows[0]
        others = [r for r in rows[1:] if r.n]
        runner_up = others[0] if others else None
        comparison = None
        warnings = [f"skipped malformed suite row: {p}" for p in suite.problems[:20]]
        if len(suite.problems) > 20:
            warnings.append(f"... and {len(suite.problems) - 20} more skipped rows")
        if runner_up is not None:
            k = min(winner.n, runner_up.n)
            a = [o.correct for o in outcomes[winner.id][:k]]
            b = [o.correct for o in outcomes[runner_up.id][:k]]
            comparison = paired_bootstrap(a, b, confidence=conf, seed=splits.seed)
            warn = separation_warning(comparison, winner.id, runner_up.id)
            if warn:
                warnings.append(warn)
        elif winner.n < SMALL_N:
            warnings.append(f"the winner was evaluated on only {winner.n} validation cases")
        test_reads = store.test_reads()
        if len(test_reads) > 1:
            warnings.append(
                f"the test split of this study folder has been read {len(test_reads)} times; "
                "if settings changed "
                "between reads, the test accuracy is no longer an unbiased estimate"
            )
        errors = [
            {"candidate": o.candidate, "case": o.case_id, "error": o.error or ""}
            for outs in [*outcomes.values(), *test_results.values()]
            for o in outs
            if o.error
        ]
        if errors:
            warnings.append(
                f"{len(errors)} case evaluations failed with an error (counted as wrong); see the report"
            )
        test_n = splits.test_size
        return StudyResult(
            name=cfg.name,
            folder=self.folder,
            strategy=selection.strategy,
            stopped=selection.stopped,
            candidates=rows,
            winner=winner,
            runner_up=runner_up,
            comparison=comparison,
            calls_spent=selection.calls + test_n * len(test_results),
            grid_calls=len(candidates) * len(splits.validation) + test_n,
            validation_size=len(splits.validation),
            test_size=test_n,
            split_sizes=splits.sizes(),
            counters=counters,
            test_reads=test_reads,
            warnings=warnings,
            case_errors=errors,
            selection=selection,
            model=cfg.model,
            confidence=conf,
        )


def _finalists(selection: Selection, store: StudyStore, splits: Splits, top: int) -> list[str]:
    if top <= 1:
        return [selection.winner]
    val_ids = [c.id for c in splits.validation]

    def accuracy(cid: str) -> tuple[int, float]:
        n = selection.evaluated.get(cid, 0)
        got = store.get_many(cid, val_ids[:n])
        return n, sum(o.correct for o in got.values()) / max(1, len(got))

    others = sorted(
        (c for c in selection.evaluated if c != selection.winner), key=lambda c: accuracy(c), reverse=True
    )
    return [selection.winner, *others[: top - 1]]


def _config_hash(cfg: StudyConfig) -> str:
    return hashlib.sha256(json.dumps(cfg.model_dump(), sort_keys=True, default=str).encode()).hexdigest()[:16]


def _write_winner(
    folder: Path, space: PromptSpace, candidate: Candidate, splits: Splits, test_cases: Sequence[Case]
) -> dict[str, str]:
    """The winning prompt as files: a standalone template, its settings, and one rendered example."""
    sample = (test_cases or splits.validation)[0]
    rendered = space.render(candidate, sample, splits.train)
    files: dict[str, str] = {}
    baked = bake(space, candidate, splits.train, sample)
    settings = {
        "id": candidate.id,
        "label": candidate.label,
        "space": space.name,
        "settings": {k: v for k, v in candidate.settings.items()},
        "request": {
            k: v
            for k, v in json.loads(rendered.request.canonical_json()).items()
            if k not in ("prompt", "messages") and v is not None
        },
        "examples": list(rendered.examples),
        "template": "winner.j2" if baked is not None else candidate.settings.get("template"),
    }
    if baked is not None:
        write_text_file(folder / "winner.j2", baked)
        files["template"] = str(folder / "winner.j2")
    write_text_file(folder / "winner.yaml", yaml.safe_dump(settings, sort_keys=False, allow_unicode=True))
    write_text_file(folder / "winner_example.txt", rendered.text)
    files["settings"] = str(folder / "winner.yaml")
    files["example"] = str(folder / "winner_example.txt")
    return files
