"""``LLMJudge``: a model grades the output, and a check reads its verdict.

The judge's own answer is untrusted output too: its verdict counts only when the verdict check accepts it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .._sync import run_sync
from ..checks.base import Check, ErrorDetail, Verdict
from ..models.base import Model
from ..models.types import Request
from ..templates import Template
from .case import Case
from .scorers import Score, Scorer

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
                message=f"the verdict {str(value)[:80]!r} does not start with one of {self.yes + self.no}",
                feedback="Answer with one word: yes or no.",
                expected="yes or no",
                offset=0,
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
        self.request = {"max_tokens": 8, "temperature": 0.0, **(request or {})}

    async def ascore(self, output: str, case: Case) -> Score:
        prompt = self.template.render(output=output, expected=case.expected, case=dict(case.variables))
        completion = await self.model.acomplete(Request(prompt=prompt, **self.request))
        verdict = self.verdict.check(completion.text)
        if not verdict.ok:
            return Score(False, None, f"the judge's verdict was unreadable: {verdict.feedback()}")
        ok = bool(self.accept(verdict.value))
        return Score(ok, verdict.value, "" if ok else f"the judge said no ({completion.text.strip()[:60]!r})")

    def score(self, output: str, case: Case) -> Score:
        return run_sync(self.ascore(output, case), "LLMJudge.score")

    def describe(self) -> str:
        return f"judge({self.model.model_id},{self.template.fingerprint},{self.verdict.name})"
