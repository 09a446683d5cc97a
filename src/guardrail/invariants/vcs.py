"""Deprecated: ``guardrail.invariants.vcs`` moved to ``guardrail.invariants.proof.vcs``.

``Counterexample`` is now ``InvariantCounterexample``. Every name still works from here for one more release,
with a ``DeprecationWarning``.
"""

from typing import Any

from ._deprecated import moved

_forward = moved(
    __name__, "guardrail.invariants.proof.vcs", renamed={"Counterexample": "InvariantCounterexample"}
)


def __getattr__(name: str) -> Any:
    return _forward(name)
