"""Deprecated: ``guardrail.invariants.symbolic`` moved to ``guardrail.invariants.problems.symbolic``.

``Env`` is now ``SymbolicEnv``. ``Program`` is now ``LoopProgram``. Every name still works from here for one
more release, with a ``DeprecationWarning``.
"""

from typing import Any

from ._deprecated import moved

_forward = moved(
    __name__,
    "guardrail.invariants.problems.symbolic",
    renamed={"Env": "SymbolicEnv", "Program": "LoopProgram"},
)


def __getattr__(name: str) -> Any:
    return _forward(name)
