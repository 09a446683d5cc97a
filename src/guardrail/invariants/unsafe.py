"""Deprecated: ``guardrail.invariants.unsafe`` moved to ``guardrail.invariants.proof.unsafe``.

``Violation`` is now ``UnsafeRun``. Every name still works from here for one more release, with a
``DeprecationWarning``.
"""

from typing import Any

from ._deprecated import moved

_forward = moved(__name__, "guardrail.invariants.proof.unsafe", renamed={"Violation": "UnsafeRun"})


def __getattr__(name: str) -> Any:
    return _forward(name)
