"""Evaluate candidates on cases: render, call the model, score, persist — concurrently and resumably.

Every scored call is written to the study store before it is used, so a killed study loses at most the
calls in flight; the rerun renders each request again (cheap), finds the stored outcome for the same
request, and calls the model only for what is missing.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..checks.base import Verdict
from ..errors import ConfigurationError, ScoringError, TemplateError
from ..models.base import Model
from ..suites.case import Case
from ..suites.scorers import Scorer
from .progress import SearchProgress
from .space import Candidate, PromptSpace, Rendered
from .splits import Splits
from .store import Outcome, StudyStore

ModelFor = Callable[[Candidate], Model]
#: The request hash of an outcome whose prompt could not be rendered (no request was made).
RENDER_ERROR = "render-error"


class Evaluator:
    """The ``OutcomeSource`` of a real study: validation prefixes, plus test evaluation of the winner."""

    def __init__(
        self,
        *,
        space: PromptSpace,
        candidates: Sequence[Candidate],
        splits: Splits,
        scorer: Scorer,
        model_for: ModelFor,
        store: StudyStore,
        concurrency: int = 2,
        progress: SearchProgress | None = None,
    ):
        if concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, got {concurrency}")
        self.space = space
        self.candidates = {c.id: c for c in candidates}
        self.splits = splits
        self.scorer = scorer
        self.model_for = model_for
        self.store = store
        self.progress = progress or SearchProgress(enabled=False)
        self._limit = asyncio.Semaphore(concurrency)
        self._scorers: dict[str, Scorer] = {}
        # Outcomes already counted in this run: racing asks again for growing prefixes of the same cases.
        self._counted: set[tuple[str, str]] = set()

    @property
    def n_available(self) -> int:
        return len(self.splits.validation)

    async def outcomes(self, candidate_ids: Sequence[str], n: int) -> Mapping[str, Sequence[bool]]:
        results = await self.evaluate(candidate_ids, self.splits.validation[:n], "validation")
        return {c: [o.correct for o in results[c]] for c in candidate_ids}

    def scorer_for(self, candidate: Candidate) -> Scorer:
        if candidate.id not in self._scorers:
            words = candidate.labels
            self._scorers[candidate.id] = self.scorer.with_labels(words) if words else self.scorer
        return self._scorers[candidate.id]

    async def evaluate(
        self, candidate_ids: Sequence[str], cases: Sequence[Case], split: str
    ) -> dict[str, list[Outcome]]:
        """Outcomes of each candidate on ``cases`` (in order), from the store where possible."""
        done: dict[tuple[str, str], Outcome] = {}
        pending: list[tuple[Candidate, Case, str, Rendered]] = []
        reused: list[Outcome] = []
        for cid in candidate_ids:
            candidate = self.candidates[cid]
            scorer = self.scorer_for(candidate)
            stored = self.store.get_many(cid, [c.id for c in cases])
            for case in cases:
                try:
                    rendered = self.space.render(candidate, case, self.splits.train)
                except (TemplateError, ConfigurationError) as exc:
                    outcome = Outcome(
                        candidate=cid,
                        case_id=case.id,
                        split=split,
                        prompt_hash=RENDER_ERROR,
                        scorer=scorer.describe(),
                        correct=False,
                        output="",
                        error=f"prompt could not be rendered: {exc}",
                    )
                    self.store.put(outcome)
                    done[(cid, case.id)] = outcome
                    reused.append(outcome)
                    continue
                old = stored.get(case.id)
                if old is not None and old.prompt_hash == self._request_hash(candidate, rendered):
                    if old.scorer != scorer.describe():
                        old = await self._rescore(old, case, scorer)
                    done[(cid, case.id)] = old
                    reused.append(old)
                    continue
                pending.append((candidate, case, split, rendered))
        first_seen = [o for o in reused if (o.candidate, o.case_id) not in self._counted]
        if first_seen or pending:
            self.progress.plan(len(first_seen) + len(pending), f"{split}: {len(pending)} calls")
        for o in first_seen:
            self._counted.add((o.candidate, o.case_id))
            self.progress.done(
                called=False,
                cached=False,
                tokens=0,
                error=o.error is not None,
                resumed=o.prompt_hash != RENDER_ERROR,
            )
        if pending:
            try:
                async with asyncio.TaskGroup() as group:
                    tasks = [group.create_task(self._run(c, case, sp, r)) for c, case, sp, r in pending]
            except* BaseException as failures:
                # Surface the first real failure (a dead backend, a misconfigured model) as itself.
                raise failures.exceptions[0] from None
            for (candidate, case, _, _), task in zip(pending, tasks, strict=True):
                done[(candidate.id, case.id)] = task.result()
        return {cid: [done[(cid, case.id)] for case in cases] for cid in candidate_ids}

    async def _rescore(self, old: Outcome, case: Case, scorer: Scorer) -> Outcome:
        new = replace(old, scorer=scorer.describe(), **await self._judged(scorer, old.output, case))
        self.store.put(new)
        return new

    async def _judged(self, scorer: Scorer, output: str, case: Case) -> dict[str, Any]:
        """The outcome fields that come from checking ``output`` against ``case``."""
        try:
            check = scorer.check_for(case)
        except ScoringError as exc:
            return {
                "correct": False,
                "answer": None,
                "detail": "",
                "error": f"case could not be scored: {exc}",
            }
        return _verdict_fields(await check.acheck(output))

    def _request_hash(self, candidate: Candidate, rendered: Rendered) -> str:
        """The exact request and the model that answers it: what a stored outcome is valid for."""
        blob = f"{self.model_for(candidate).model_id}\x00{rendered.fingerprint}"
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    async def _run(self, candidate: Candidate, case: Case, split: str, rendered: Rendered) -> Outcome:
        scorer = self.scorer_for(candidate)
        async with self._limit:
            completion = await self.model_for(candidate).acomplete(rendered.request)
        outcome = Outcome(
            candidate=candidate.id,
            case_id=case.id,
            split=split,
            prompt_hash=self._request_hash(candidate, rendered),
            scorer=scorer.describe(),
            output=completion.text,
            prompt_tokens=completion.usage.prompt_tokens,
            completion_tokens=completion.usage.completion_tokens,
            latency_s=completion.latency_s,
            cached=completion.cached,
            **await self._judged(scorer, completion.text, case),
        )
        self.store.put(outcome)
        self._counted.add((candidate.id, case.id))
        self.progress.done(
            called=True,
            cached=completion.cached,
            tokens=completion.usage.total_tokens,
            error=outcome.error is not None,
        )
        return outcome


def _verdict_fields(verdict: Verdict) -> dict[str, Any]:
    """What a stored outcome keeps of a verdict: correct, the answer read, and why it was wrong."""
    if verdict.ok:
        value = verdict.value
        return {"correct": True, "answer": None if value is None else str(value), "detail": "", "error": None}
    first = verdict.errors[0]
    return {"correct": False, "answer": first.found, "detail": first.message, "error": None}
