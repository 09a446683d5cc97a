"""Deprecated: ``guardrail.invariants.evaluate`` moved to ``guardrail.invariants.problems.term_eval``.

``Env`` is now ``Valuation``. Every name still works from here for one more release, with a
``DeprecationWarning``.
"""

from typing import Any

from ._deprecated import moved

_forward = moved(__name__, "guardrail.invariants.problems.term_eval", renamed={"Env": "Valuation"})


def __getattr__(name: str) -> Any:
    return _forward(name)
