"""Deprecated: ``guardrail.invariants.program`` moved to ``guardrail.invariants.problems.program``.

Concrete execution (``run_loop``, ``evaluate``, ``execute``) is now in
``guardrail.invariants.problems.interpreter``. ``Program`` is now ``LoopProgram``. Every name still works from
here for one more release, with a ``DeprecationWarning``.
"""

from typing import Any

from ._deprecated import moved

_forward = moved(
    __name__,
    "guardrail.invariants.problems.program",
    "guardrail.invariants.problems.interpreter",
    renamed={"Program": "LoopProgram"},
)


def __getattr__(name: str) -> Any:
    return _forward(name)
