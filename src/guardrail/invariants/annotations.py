"""Deprecated: ``guardrail.invariants.annotations`` moved to ``guardrail.invariants.specs.annotations``.

Every name still works from here for one more release, with a ``DeprecationWarning``.
"""

from typing import Any

from ._deprecated import moved

_forward = moved(__name__, "guardrail.invariants.specs.annotations")


def __getattr__(name: str) -> Any:
    return _forward(name)
