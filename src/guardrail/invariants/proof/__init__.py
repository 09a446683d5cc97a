"""What Z3 proves about a candidate invariant: the three verification conditions (``vcs``), Houdini's
largest inductive subset, certificates re-checked from scratch, and bounded model checking for runs that
break the assertion (``unsafe``). A timeout is ``Status.UNKNOWN``, never valid.
"""

from .certificate import Certificate, certify
from .houdini import HoudiniResult, houdini, shrink
from .unsafe import BmcResult, UnsafeRun, find_violation
from .vcs import (
    CheckResult,
    InvariantCheck,
    InvariantCounterexample,
    InvariantResult,
    Status,
    Transition,
    check_consecution,
    check_initiation,
    check_invariant,
    check_safety,
)

__all__ = [
    "BmcResult",
    "Certificate",
    "CheckResult",
    "HoudiniResult",
    "InvariantCheck",
    "InvariantCounterexample",
    "InvariantResult",
    "Status",
    "Transition",
    "UnsafeRun",
    "certify",
    "check_consecution",
    "check_initiation",
    "check_invariant",
    "check_safety",
    "find_violation",
    "houdini",
    "shrink",
]
