"""Deprecated: ``guardrail.invariants.atoms`` moved to ``guardrail.invariants.propose.atoms``.

``State`` is now ``Valuation``. Every name still works from here for one more release, with a
``DeprecationWarning``.
"""

from typing import Any

from ._deprecated import moved

_forward = moved(__name__, "guardrail.invariants.propose.atoms", renamed={"State": "Valuation"})


def __getattr__(name: str) -> Any:
    return _forward(name)
