"""Chains: multi-step LLM programs, verified with the model as a black box constrained by its checks."""

from .abstraction import Abstraction, AnyValue, Domain, Finite, IntRange, Sample, abstract_check
from .chain import FINAL_EVENT, Assign, Branch, Break, Chain, Final, Loop, ModelStep, Step, ToolStep
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
from .verify import Answer, Counterexample, Proven, Unknown, verify

__all__ = [
    "FINAL_EVENT",
    "Abstraction",
    "Answer",
    "AnyValue",
    "Assign",
    "AutomatonProperty",
    "Branch",
    "Break",
    "Chain",
    "ChainResult",
    "Counterexample",
    "Defined",
    "Domain",
    "EventDFA",
    "EventRegex",
    "Final",
    "FinalPasses",
    "Finite",
    "IntRange",
    "Loop",
    "ModelStep",
    "Monitor",
    "Never",
    "Property",
    "Proven",
    "ResultsUsed",
    "Sample",
    "Step",
    "Terminates",
    "ToolStep",
    "TraceProperty",
    "TraceStep",
    "Unknown",
    "Violation",
    "abstract_check",
    "arun_chain",
    "make_monitor",
    "parse_property",
    "run_chain",
    "verify",
]
