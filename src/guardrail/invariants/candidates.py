"""Deprecated: ``guardrail.invariants.candidates`` moved to ``guardrail.invariants.propose.candidates``.

``Candidate`` is now ``InvariantCandidate``. Every name still works from here for one more release, with a
``DeprecationWarning``.
"""

from typing import Any

from ._deprecated import moved

_forward = moved(
    __name__, "guardrail.invariants.propose.candidates", renamed={"Candidate": "InvariantCandidate"}
)


def __getattr__(name: str) -> Any:
    return _forward(name)
