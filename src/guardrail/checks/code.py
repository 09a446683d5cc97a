"""``PassesTests``: model-written code is accepted only when its tests pass in the sandbox.

The check holds a function that assembles the program to run from the code (the task's prompt, the
code, then the tests); a suite's scorer builds one per case. Loops, forks, sockets and memory hogs end as
a rejection whose code names the sandbox's reason (``code.timeout``, ``code.memory``, ...), never as an
exception.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from .._text import clip
from ..sandbox import Limits, SandboxResult, run_python
from .base import Check, ErrorDetail, Verdict

_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.IGNORECASE)


def extract_code(output: str) -> str:
    """The first fenced code block if the output has one, else the output as it stands."""
    m = _FENCE.search(output)
    return m.group(1) if m else output


class PassesTests(Check):
    """Accepts code whose assembled program (``assemble(code)``) runs to completion in the sandbox.

    With ``extract=True`` the code is the first fenced block of the output, if it has one. The accepted
    value is the code.
    """

    name = "code"

    def __init__(self, assemble: Callable[[str], str], *, limits: Limits | None = None, extract: bool = True):
        self.assemble = assemble
        self.limits = limits or Limits()
        self.extract = extract

    def run(self, value: Any) -> tuple[str, SandboxResult]:
        text = value if isinstance(value, str) else str(value)
        code = extract_code(text) if self.extract else text
        return code, run_python(self.assemble(code), limits=self.limits)

    def check(self, value: Any) -> Verdict:
        return _verdict(self.name, *self.run(value))

    async def acheck(self, value: Any) -> Verdict:
        return _verdict(self.name, *await asyncio.to_thread(self.run, value))


def _verdict(name: str, code: str, result: SandboxResult) -> Verdict:
    if result.passed:
        return Verdict.accept(code)
    return Verdict.reject(
        ErrorDetail(
            check=name,
            code=f"code.{result.status}",
            message=clip(f"{result.status}: {result.detail}", 1000),
            feedback=clip(f"The code did not pass its tests ({result.status}): {result.detail}", 300),
            expected="code that passes the tests",
            found=result.status,
        )
    )
