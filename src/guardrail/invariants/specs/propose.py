"""Specs and type annotations proposed by a model, through a ``Guard``: nothing it proposes is reported as
accepted until a check accepts it.

Both prompts are few-shot (``prompts/specs/propose.j2`` and ``annotate.j2``, with solved examples in YAML)
because the embedded model is a base model: it continues a pattern, it does not follow instructions. The
function's source and the model's rejected answers are template *data*.

* A spec answer is two lines, ``# Requires: <condition>`` and ``# Ensures: <condition on result>``. The
  check is ``SpecProposalCheck`` (both parse with the ``python_expr`` grammar; unknown names, ill-typed and
  vacuous conditions are rejected with the reason) ``>> SpecEvidenceCheck`` (Z3 proves it, or hypothesis
  tests it; a refutation is rejected with its counterexample). The repair re-renders the prompt with each
  rejected answer and its ``# Check:`` line, so the model sees the failing input before it answers again.
* An annotation answer is one ``def`` header; ``AnnotationCheck`` accepts it when mypy --strict passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from ..._text import clip
from ...checks.base import Check, ErrorDetail, Verdict
from ...errors import DataFileError
from ...guard import Attempt, Budget, Guard
from ...models.base import Model
from ...prompt import Template
from ...resources import prompts_dir
from ..propose.model import FewShotRepair
from .annotations import Annotated, AnnotationCheck
from .check import CHECK_NAME, Conditions, SpecResult, parse_conditions
from .functions import SpecSignature

SPEC_TEMPLATE = "specs/propose.j2"
SPEC_EXAMPLES = "specs/examples.yaml"
ANNOTATION_TEMPLATE = "specs/annotate.j2"
ANNOTATION_EXAMPLES = "specs/annotate_examples.yaml"
SPEC_MAX_TOKENS = 96
ANNOTATION_MAX_TOKENS = 96
#: A base model runs on into the next function; these end an answer.
SPEC_STOP = ("\n\n", "\n# Check", "\ndef ")


@cache
def few_shot_examples(name: str) -> tuple[dict[str, Any], ...]:
    """The solved examples in ``prompts/NAME`` (a YAML list of mappings with a ``function``)."""
    source = prompts_dir() / name
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataFileError(f"{source}: cannot read the few-shot examples ({exc})", path=source) from exc
    if not isinstance(data, list) or not all(isinstance(e, dict) and "function" in e for e in data):
        raise DataFileError(f"{source}: expected a list of entries with a function", path=source)
    return tuple(data)


class FewShotPrompt:
    """A few-shot template rendered for one function, with that function's rejected attempts."""

    def __init__(self, template: str, examples: str, function: str):
        self.template = Template.load(template)
        self.examples = few_shot_examples(examples)
        self.function = function

    def render(self, history: Sequence[dict[str, str]] = (), **unused: Any) -> str:
        return self.template.render(
            examples=list(self.examples), function=self.function, history=list(history)
        )


# --- specs --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecAnswer:
    """The two lines of a spec answer as written (``ensures`` is None when the line is missing)."""

    requires: str
    ensures: str | None


def spec_answer(output: str) -> SpecAnswer:
    """Read an answer: the completion of ``# Requires:`` and the ``# Ensures:`` line after it. Chat models'
    fences, ``#`` marks and repeated labels are tolerated."""
    lines = [ln.strip().lstrip("#").strip() for ln in output.strip().splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("```")]
    requires = ""
    ensures: str | None = None
    for i, line in enumerate(lines):
        if line.lower().startswith("ensures:"):
            ensures = line[len("ensures:") :].strip()
            break
        if i == 0:
            requires = line.removeprefix("Requires:").removeprefix("requires:").strip()
    return SpecAnswer(requires, ensures)


def shown_spec(attempt: Attempt) -> dict[str, str]:
    """How a rejected spec appears in the prompt's history."""
    answer = spec_answer(attempt.output)
    return {
        "requires": clip(answer.requires, 160) or "(empty)",
        "ensures": clip(answer.ensures, 160) if answer.ensures is not None else "(missing)",
        "feedback": " ".join(attempt.verdict.feedback().split()),
    }


class SpecProposalCheck(Check):
    """Accepts an answer whose two conditions are meaningful for ``signature``, as ``Conditions``."""

    name = CHECK_NAME

    def __init__(self, signature: SpecSignature, *, timeout_ms: int = 10_000):
        self.signature = signature
        self.timeout_ms = timeout_ms

    def check(self, value: Any) -> Verdict:
        answer = spec_answer(str(value))
        if answer.ensures is None or not answer.requires:
            example = "# Requires: x >= 0\n# Ensures: result >= x"
            return Verdict.reject(
                ErrorDetail(
                    check=self.name,
                    message="the answer is not a Requires line followed by an Ensures line",
                    feedback=f"Answer with two lines, like: {example}",
                    code="spec.format",
                )
            )
        return parse_conditions(self.signature, answer.requires, answer.ensures, timeout_ms=self.timeout_ms)


class SpecEvidenceCheck(Check):
    """Accepts ``Conditions`` that ``judge`` proves or tests; rejects a refutation with its counterexample.

    ``judge`` is the expensive part (Z3, or a sandboxed hypothesis run); every verdict it reached is kept in
    ``results``, in order, so the caller can report the last refutation after the Guard gives up.
    """

    name = CHECK_NAME

    def __init__(self, judge: Callable[[Conditions], SpecResult]):
        self.judge = judge
        self.results: list[tuple[Conditions, SpecResult]] = []

    def check(self, value: Any) -> Verdict:
        if not isinstance(value, Conditions):
            raise TypeError(f"SpecEvidenceCheck needs Conditions, got {type(value).__name__}")
        result = self.judge(value)
        self.results.append((value, result))
        if result.status in ("proven", "tested"):
            return Verdict.accept((value, result))
        return Verdict.reject(
            ErrorDetail(
                check=self.name,
                message=result.message,
                feedback=result.feedback(),
                code=result.code,
                found=f"requires {clip(value.pre, 60)}; ensures {clip(value.post, 60)}",
            )
        )


@dataclass
class SpecProposal:
    """What came of asking the model for one function's spec.

    ``result`` is the accepted spec's (proven or tested), else the last judged proposal's (refuted or
    unknown), else a rejection naming why no proposal could even be judged.
    """

    conditions: Conditions | None
    result: SpecResult
    answers: list[dict[str, str | None]] = field(default_factory=list)
    calls: int = 0


async def apropose_spec(
    model: Model,
    function_source: str,
    signature: SpecSignature,
    judge: Callable[[Conditions], SpecResult],
    *,
    attempts: int = 3,
    timeout_ms: int = 10_000,
) -> SpecProposal:
    """Ask ``model`` for a spec of the function shown as ``function_source``, repairing with the checks'
    feedback (counterexamples included) up to ``attempts`` times."""
    prompt = FewShotPrompt(SPEC_TEMPLATE, SPEC_EXAMPLES, function_source)
    evidence = SpecEvidenceCheck(judge)
    guard = Guard(
        model=model,
        prompt=prompt,
        check=SpecProposalCheck(signature, timeout_ms=timeout_ms) >> evidence,
        repair=FewShotRepair(prompt, shown=shown_spec),
        budget=Budget(attempts=attempts),
        max_tokens=SPEC_MAX_TOKENS,
        stop=SPEC_STOP,
        stream=False,
    )
    run = await guard.arun()
    answers: list[dict[str, str | None]] = [
        {
            "answer": clip(a.output.strip(), 400),
            "feedback": None if a.verdict.ok else a.verdict.feedback(),
            "code": None if a.verdict.ok else a.verdict.errors[0].code,
        }
        for a in run.attempts
    ]
    if run.ok:
        conditions, result = run.value
        return SpecProposal(conditions, result, answers, len(run.attempts))
    if evidence.results:
        conditions, result = evidence.results[-1]
        return SpecProposal(conditions, result, answers, len(run.attempts))
    last = run.last
    reason = last.verdict.feedback() if last is not None else f"the Guard stopped: {run.stop_reason}"
    return SpecProposal(None, SpecResult("rejected", reason), answers, len(run.attempts))


# --- annotations --------------------------------------------------------------------------------------------


def shown_header(attempt: Attempt) -> dict[str, str]:
    """How a rejected header appears in the prompt's history."""
    first = next((ln.strip() for ln in attempt.output.strip().splitlines() if ln.strip()), "")
    return {"header": clip(first, 200) or "(empty)", "feedback": " ".join(attempt.verdict.feedback().split())}


@dataclass
class AnnotationProposal:
    """What came of asking the model for one function's annotated header (``accepted`` when mypy passed)."""

    accepted: Annotated | None
    answers: list[dict[str, str | None]] = field(default_factory=list)
    calls: int = 0

    @property
    def reason(self) -> str:
        return next((a["feedback"] or "" for a in reversed(self.answers) if a["feedback"]), "no answer")


async def apropose_annotations(
    model: Model,
    module_source: str,
    function: str,
    function_source: str,
    *,
    attempts: int = 2,
    timeout_s: float = 120.0,
) -> AnnotationProposal:
    """Ask ``model`` for the annotated header of ``function`` (a top-level function of ``module_source``,
    shown to the model as ``function_source``); mypy --strict on the module decides."""
    prompt = FewShotPrompt(ANNOTATION_TEMPLATE, ANNOTATION_EXAMPLES, function_source)
    guard = Guard(
        model=model,
        prompt=prompt,
        check=AnnotationCheck(module_source, function=function, timeout_s=timeout_s),
        repair=FewShotRepair(prompt, shown=shown_header),
        budget=Budget(attempts=attempts),
        max_tokens=ANNOTATION_MAX_TOKENS,
        stop=("\n",),
        stream=False,
    )
    run = await guard.arun()
    answers: list[dict[str, str | None]] = [
        {"answer": clip(a.output.strip(), 400), "feedback": None if a.verdict.ok else a.verdict.feedback()}
        for a in run.attempts
    ]
    accepted = run.value if run.ok and isinstance(run.value, Annotated) else None
    return AnnotationProposal(accepted, answers, len(run.attempts))
