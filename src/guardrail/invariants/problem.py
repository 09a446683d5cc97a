"""Deprecated: ``guardrail.invariants.problem`` moved to ``guardrail.invariants.problems.problem``.

``Program`` is now ``LoopProgram``. Every name still works from here for one more release, with a
``DeprecationWarning``.
"""

from typing import Any

from ._deprecated import moved

_forward = moved(__name__, "guardrail.invariants.problems.problem", renamed={"Program": "LoopProgram"})


def __getattr__(name: str) -> Any:
    return _forward(name)
