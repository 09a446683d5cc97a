"""Deprecated: ``guardrail.invariants.load_smt`` moved to ``guardrail.invariants.problems.load_smt``.

Every name still works from here for one more release, with a ``DeprecationWarning``.
"""

from typing import Any

from ._deprecated import moved

_forward = moved(__name__, "guardrail.invariants.problems.load_smt")


def __getattr__(name: str) -> Any:
    return _forward(name)
