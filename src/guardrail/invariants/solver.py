"""Deprecated: ``guardrail.invariants.solver`` moved to ``guardrail.invariants.solve``.

``Violation`` is now ``UnsafeRun``. Every name still works from here for one more release, with a
``DeprecationWarning``.
"""

from typing import Any

from ._deprecated import moved

_forward = moved(__name__, "guardrail.invariants.solve", renamed={"Violation": "UnsafeRun"})


def __getattr__(name: str) -> Any:
    return _forward(name)
