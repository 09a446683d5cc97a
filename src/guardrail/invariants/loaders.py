"""Deprecated: ``guardrail.invariants.loaders`` moved to ``guardrail.invariants.problems.loaders``.

Every name still works from here for one more release, with a ``DeprecationWarning``.
"""

from typing import Any

from ._deprecated import moved

_forward = moved(__name__, "guardrail.invariants.problems.loaders")


def __getattr__(name: str) -> Any:
    return _forward(name)
