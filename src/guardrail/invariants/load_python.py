"""Deprecated: ``guardrail.invariants.load_python`` moved to ``guardrail.invariants.problems.load_python``.

Every name still works from here for one more release, with a ``DeprecationWarning``.
"""

from typing import Any

from ._deprecated import moved

_forward = moved(__name__, "guardrail.invariants.problems.load_python")


def __getattr__(name: str) -> Any:
    return _forward(name)
