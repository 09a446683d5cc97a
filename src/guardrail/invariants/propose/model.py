"""The model proposer: an untrusted model suggests invariants, Z3 checks them, failures become repairs.

It runs through ``guardrail.guard.Guard``: the check is ``CandidateCheck >> InvariantCheck`` (parse and type
the Python expression, then prove the three conditions), and the repair strategy re-renders the few-shot
prompt with every rejected answer and the checker's feedback underneath ("# Check: not inductive: from
x = -1, y = -1 the loop reaches x = -2, y = 0, where it is false."). That layout is what a base model such as
the embedded Gemma 3 270M can continue; a chat model reads it just as well.

Every conjunct of every well-formed proposal — proven or not — is returned, so that Houdini can still use
the good parts of a wrong answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import yaml
import z3

from ...errors import DataFileError
from ...guard import Attempt, Budget, Guard, Repair
from ...models.base import Model
from ...models.types import Message, Request
from ...prompt import Template
from ...resources import prompts_dir
from ..problems.problem import LoopProblem
from ..proof.vcs import DEFAULT_TIMEOUT_MS, InvariantCheck
from .candidates import CandidateCheck, InvariantCandidate

TEMPLATE = "invariants/propose.j2"
EXAMPLES = "invariants/examples.yaml"
MAX_TOKENS = 96
CHAT_SYSTEM = (
    "You write loop invariants. Continue the pattern: reply with only the invariant for the last loop, "
    "one Python boolean expression on one line, nothing else."
)


@dataclass(frozen=True)
class ModelAnswer:
    """One answer of the model and what the checks said (``feedback`` is None when it was proven)."""

    text: str
    feedback: str | None


@dataclass
class ModelProposal:
    """What the model proposed for one problem."""

    invariant: z3.BoolRef | None
    answers: list[ModelAnswer] = field(default_factory=list)
    conjuncts: list[z3.BoolRef] = field(default_factory=list)
    calls: int = 0
    model_seconds: float = 0.0
    trace: dict[str, Any] = field(default_factory=dict)


@cache
def few_shot_examples(path: Path | None = None) -> tuple[dict[str, Any], ...]:
    """The solved examples shown in the prompt (``prompts/invariants/examples.yaml``)."""
    source = path or prompts_dir() / EXAMPLES
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataFileError(f"{source}: cannot read the few-shot examples ({exc})") from exc
    if not isinstance(data, list) or not all(
        isinstance(e, dict) and "loop" in e and "invariant" in e for e in data
    ):
        raise DataFileError(f"{source}: expected a list of {{loop, invariant}} entries")
    return tuple(data)


class PromptBuilder:
    """Renders the few-shot prompt for one problem, with the history of rejected answers."""

    def __init__(
        self,
        problem: LoopProblem,
        template: Template | None = None,
        examples: tuple[dict[str, Any], ...] | None = None,
    ):
        self.problem = problem
        self.template = template or Template.load(TEMPLATE)
        self.examples = examples if examples is not None else few_shot_examples()

    def render(self, history: Sequence[dict[str, str]] = (), **unused: Any) -> str:
        """The prompt; ``history`` holds this problem's rejected answers and their feedback."""
        return self.template.render(
            examples=list(self.examples), program=self.problem.text, history=list(history)
        )


class HistoryPrompt(Protocol):
    """A few-shot prompt that can show this task's rejected attempts in its examples' layout."""

    def render(self, history: Sequence[dict[str, str]] = (), **unused: Any) -> str: ...


def shown_invariant(attempt: Attempt) -> dict[str, str]:
    """How a rejected invariant appears in the prompt's history."""
    return {"answer": answer_text(attempt.output) or "(empty)", "feedback": attempt.verdict.feedback()}


class FewShotRepair(Repair):
    """Re-render the prompt with each rejected answer and its feedback, in the examples' own layout.

    ``shown`` turns an attempt into the fields the template's history shows (an invariant's by default).
    """

    name = "few-shot-feedback"
    #: Repairs are sampled (see below), so an identical error twice is not yet a reason to stop.
    stops_on_repeat = False

    def __init__(
        self,
        builder: HistoryPrompt,
        temperature: float = 0.7,
        shown: Callable[[Attempt], dict[str, str]] = shown_invariant,
    ):
        self.builder = builder
        self.temperature = temperature
        self.shown = shown

    def next_request(self, original: Request, history: list[Attempt]) -> Request:
        prompt = self.builder.render([self.shown(a) for a in history])
        # Greedy decoding of a small model tends to repeat the rejected answer; sampling gives it a chance to
        # take the feedback another way. The sample index makes each retry its own (cacheable) request.
        update: dict[str, Any] = {
            "temperature": max(original.temperature, self.temperature),
            "sample": len(history),
        }
        if original.messages is not None:
            # Chat: the same few-shot text, as the last user message.
            update["messages"] = (*original.messages[:-1], Message(role="user", content=prompt))
        else:
            update["prompt"] = prompt
        return original.model_copy(update=update)


def answer_text(output: str) -> str:
    """The model's answer: its first line with content, without code fences, a leading "Invariant:" or a
    trailing comment (chat models wrap answers; base models run on past them)."""
    for raw in output.strip().splitlines():
        line = raw.strip()
        if not line or line.startswith("```"):
            continue
        line = line.split("#", 1)[0].strip().strip("`").strip()
        for prefix in ("Invariant:", "invariant:"):
            line = line.removeprefix(prefix).strip()
        return line
    return ""


class _FirstLine(CandidateCheck):
    """``CandidateCheck`` on the answer line only (base models sometimes run on past the answer)."""

    def check(self, value: Any) -> Any:
        return super().check(answer_text(str(value)))


async def propose_with_model(
    problem: LoopProblem,
    model: Model,
    *,
    attempts: int = 4,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    seconds: float | None = None,
    chat: bool = False,
) -> ModelProposal:
    """Ask ``model`` for an invariant of ``problem``, repairing with Z3's counterexamples.

    Returns the proven invariant if an answer passed all checks, and in any case every conjunct of every
    well-formed answer. ``chat=True`` sends the prompt as a chat message (for chat-only servers), with a
    system message asking for the bare expression.
    """
    builder = PromptBuilder(problem)
    check = _FirstLine(problem) >> InvariantCheck(problem, timeout_ms)
    guard = Guard(
        model=model,
        prompt=builder,
        check=check,
        repair=FewShotRepair(builder),
        budget=Budget(attempts=attempts, seconds=seconds),
        max_tokens=MAX_TOKENS,
        stop=() if chat else ("\n",),
        chat=chat,
        system=CHAT_SYSTEM if chat else None,
        stream=False,
    )
    result = await guard.arun()
    proposal = ModelProposal(invariant=None, calls=len(result.attempts), trace=result.to_dict())
    parse = CandidateCheck(problem)
    for attempt in result.attempts:
        text = answer_text(attempt.output)
        proposal.answers.append(ModelAnswer(text, None if attempt.verdict.ok else attempt.verdict.feedback()))
        proposal.model_seconds += attempt.completion.latency_s if attempt.completion else 0.0
        parsed = parse.check(text)
        if parsed.ok:
            assert isinstance(parsed.value, InvariantCandidate)
            proposal.conjuncts.extend(parsed.value.conjuncts())
    if result.ok:
        accepted = result.value
        assert isinstance(accepted, InvariantCandidate)
        proposal.invariant = accepted.term
    return proposal
