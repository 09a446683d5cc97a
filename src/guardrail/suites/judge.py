"""``LLMJudge``: a model grades the output, through a Guard whose check reads its verdict.

The judge's own answer is untrusted output too: it counts only when the verdict check accepts it. The judge
is a ``Guard`` with one attempt (an unreadable verdict is a wrong score, not a retry loop), so its calls
are traced, metered and cached like any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .._sync import run_sync
from .._text import clip, show_value
from ..checks.base import Check, ErrorDetail, Verdict
from ..guard import Budget, Guard
from ..models.base import Model
from ..prompt import Prompt, Template
from .case import Case
from .scorers import Scorer

DEFAULT_JUDGE_TEMPLATE = """\
You are grading an answer.
Question: {{ case | tojson }}
Reference answer: {{ expected }}
Answer to grade: {{ output }}
Is the answer to grade correct? Reply with one word, yes or no.
Verdict:"""


class VerdictWord(Check):
    """Accepts a reply whose first word is a yes or a no word; the value is True or False."""

    name = "verdict"

    def __init__(
        self,
        yes: tuple[str, ...] = ("yes", "correct", "pass", "true"),
        no: tuple[str, ...] = ("no", "incorrect", "wrong", "fail", "false"),
    ):
        self.yes, self.no = yes, no

    def check(self, value: Any) -> Verdict:
        words = re.findall(r"[a-z]+", str(value).lower()[:200])
        first = words[0] if words else ""
        if first in self.yes:
            return Verdict.accept(True)
        if first in self.no:
            return Verdict.accept(False)
        return Verdict.reject(
            ErrorDetail(
                check=self.name,
                code="verdict.unreadable",
                message=f"the verdict {clip(str(value), 80)!r} does not start with one of "
                f"{self.yes + self.no}",
                feedback="Answer with one word: yes or no.",
                expected="yes or no",
                offset=0,
                found=first or None,
            )
        )


class JudgedBy(Check):
    """Accepts an output when the judge's guarded verdict for ``case`` says it is correct."""

    name = "judge"

    def __init__(self, guard: Guard, case: Case, accept: Callable[[Any], bool]):
        self.guard = guard
        self.case = case
        self.accept = accept

    def check(self, value: Any) -> Verdict:
        return run_sync(self.acheck(value), "LLMJudge check")

    async def acheck(self, value: Any) -> Verdict:
        output = value if isinstance(value, str) else str(value)
        result = await self.guard.arun(
            output=output, expected=self.case.expected, case=dict(self.case.variables)
        )
        said = result.last.output if result.last else ""
        if not result.ok:
            feedback = result.last.verdict.feedback() if result.last else "no verdict"
            return self._reject("judge.unreadable", f"the judge's verdict was unreadable: {feedback}", said)
        if not self.accept(result.value):
            return self._reject("judge.rejected", f"the judge said no ({clip(said.strip(), 60)!r})", said)
        return Verdict.accept(result.value)

    def _reject(self, code: str, message: str, said: str) -> Verdict:
        return Verdict.reject(
            ErrorDetail(
                check=self.name,
                code=code,
                message=message,
                feedback="A grader judged that answer incorrect.",
                expected=show_value(self.case.expected),
                found=clip(said.strip(), 60),
            )
        )


class LLMJudge(Scorer):
    """Asks ``model`` to grade; ``verdict`` (a Check) must accept its reply, and ``accept`` decides whether
    the accepted value means correct.

    The template sees ``output``, ``expected`` and ``case`` (the case's variables) as data.
    """

    name = "judge"

    def __init__(
        self,
        model: Model,
        template: Template | str = DEFAULT_JUDGE_TEMPLATE,
        *,
        verdict: Check | None = None,
        accept: Callable[[Any], bool] = bool,
        request: Mapping[str, Any] | None = None,
    ):
        self.model = model
        self.template = template if isinstance(template, Template) else Template(template, name="judge")
        self.verdict = verdict or VerdictWord()
        self.accept = accept
        self.prompt = Prompt(self.template, params={"max_tokens": 8, "temperature": 0.0, **(request or {})})
        self.guard = Guard(model, self.prompt, self.verdict, budget=Budget(attempts=1), stream=False)

    def check_for(self, case: Case) -> JudgedBy:
        return JudgedBy(self.guard, case, self.accept)

    def describe(self) -> str:
        return f"judge({self.model.model_id},{self.template.fingerprint},{self.verdict.name})"
