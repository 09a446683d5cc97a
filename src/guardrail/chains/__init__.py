"""Chains: multi-step LLM programs, verified with the model as a black box constrained by its checks.

The modules, each importing only those listed before it (so the package has no import cycle):

``chain`` (the steps and ``Chain``, plain data) → ``control`` (the control graph both runner and verifier
walk) → ``languages``, ``events`` (regular languages, trace automata) → ``domains``, ``json_shapes``,
``lark_language``, ``abstraction`` (what a step's check lets the model say) → ``properties`` → ``monitor``
→ ``run`` (``run_chain``) → ``explore``, ``verify`` (which replays counterexamples with ``run_chain``) →
``target`` (``load_chain`` for ``MODULE:NAME``). The ``guardrail verify`` command lives in
``guardrail.cli.verify``.
"""

import warnings
from typing import Any

from .abstraction import Abstraction, abstract_check
from .chain import Assign, Branch, Break, Chain, Final, Loop, ModelStep, Step, ToolStep
from .monitor import Monitor, Violation, make_monitor
from .properties import (
    AutomatonProperty,
    Defined,
    EventDFA,
    EventRegex,
    FinalPasses,
    Never,
    Property,
    ResultsUsed,
    Terminates,
    TraceProperty,
    parse_property,
)
from .run import ChainResult, TraceStep, arun_chain, run_chain
from .target import load_chain
from .verify import Answer, Counterexample, Proven, Unknown, verify

__all__ = [
    "Abstraction",
    "Answer",
    "Assign",
    "AutomatonProperty",
    "Branch",
    "Break",
    "Chain",
    "ChainResult",
    "Counterexample",
    "Defined",
    "EventDFA",
    "EventRegex",
    "Final",
    "FinalPasses",
    "Loop",
    "ModelStep",
    "Monitor",
    "Never",
    "Property",
    "Proven",
    "ResultsUsed",
    "Step",
    "Terminates",
    "ToolStep",
    "TraceProperty",
    "TraceStep",
    "Unknown",
    "Violation",
    "abstract_check",
    "arun_chain",
    "load_chain",
    "make_monitor",
    "parse_property",
    "run_chain",
    "verify",
]

#: Names this package exported before, that now live only in their own modules (for one more release).
_MOVED = {
    "FINAL_EVENT": "guardrail.chains.chain",
    "AnyValue": "guardrail.chains.domains",
    "Domain": "guardrail.chains.domains",
    "Finite": "guardrail.chains.domains",
    "IntRange": "guardrail.chains.domains",
    "Sample": "guardrail.chains.domains",
}


def __getattr__(name: str) -> Any:
    home = _MOVED.get(name)
    if home is None:
        raise AttributeError(f"module 'guardrail.chains' has no attribute {name!r}")
    warnings.warn(
        f"guardrail.chains.{name} is deprecated; import it from {home}", DeprecationWarning, stacklevel=2
    )
    from . import chain, domains

    return getattr(chain if home.endswith(".chain") else domains, name)
