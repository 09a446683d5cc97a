"""Loop invariants and specs: "LLM proposes, Z3 disposes".

Load a problem (``load_problem``: Code2Inv C, Code2Inv SMT templates, SyGuS-IF ``.sl``, Python loops),
check a candidate (``parse_candidate`` then ``check_invariant``), prune candidates (``houdini``), certify an
invariant (``certify``), or let ``solve``/``asolve`` run the model and data-driven proposers within a
``SolveBudget``. Nothing is reported proven that Z3 did not prove. ``check_spec`` and ``check_annotations``
do the same for pre/postconditions and type annotations of small Python functions.

The parts live in subpackages: ``problems`` (the problem, the loop language, the loaders), ``proof``
(verification conditions, Houdini, certificates, bounded model checking), ``propose`` (candidate parsing,
the data-driven and model proposers) and ``specs``. The engine of ``guardrail invariants`` is
``guardrail.invariants.command``.
"""

from typing import Any

from ._deprecated import renamed_attribute
from .problems import (
    LoopProblem,
    LoopProgram,
    State,
    Valuation,
    Variable,
    load_problem,
    load_problems,
    problem_files,
)
from .proof import (
    Certificate,
    CheckResult,
    HoudiniResult,
    InvariantCheck,
    InvariantCounterexample,
    InvariantResult,
    Status,
    Transition,
    UnsafeRun,
    certify,
    check_invariant,
    houdini,
)
from .propose import (
    CandidateCheck,
    DataDrivenOutcome,
    InvariantCandidate,
    ModelProposal,
    parse_candidate,
    propose_data_driven,
    propose_with_model,
)
from .solve import SolveBudget, SolveResult, asolve, solve
from .specs import Annotated, AnnotationCheck, SpecResult, check_annotations, check_spec

__all__ = [
    "Annotated",
    "AnnotationCheck",
    "CandidateCheck",
    "Certificate",
    "CheckResult",
    "DataDrivenOutcome",
    "HoudiniResult",
    "InvariantCandidate",
    "InvariantCheck",
    "InvariantCounterexample",
    "InvariantResult",
    "LoopProblem",
    "LoopProgram",
    "ModelProposal",
    "SolveBudget",
    "SolveResult",
    "SpecResult",
    "State",
    "Status",
    "Transition",
    "UnsafeRun",
    "Valuation",
    "Variable",
    "asolve",
    "certify",
    "check_annotations",
    "check_invariant",
    "check_spec",
    "houdini",
    "load_problem",
    "load_problems",
    "parse_candidate",
    "problem_files",
    "propose_data_driven",
    "propose_with_model",
    "solve",
]

#: Names this package exported before the subpackages existed: where each lives now, and under what name.
_DEPRECATED = {
    "BmcResult": ("proof", "BmcResult"),
    "Candidate": ("propose", "InvariantCandidate"),
    "DataDrivenProposer": ("propose", "DataDrivenProposer"),
    "InvariantsSummary": ("command", "InvariantsSummary"),
    "ModelAnswer": ("propose", "ModelAnswer"),
    "Translator": ("propose", "Translator"),
    "Violation": ("proof", "UnsafeRun"),
    "check_consecution": ("proof", "check_consecution"),
    "check_initiation": ("proof", "check_initiation"),
    "check_safety": ("proof", "check_safety"),
    "find_violation": ("proof", "find_violation"),
    "load_c": ("problems", "load_c"),
    "load_python": ("problems", "load_python"),
    "load_smt_template": ("problems", "load_smt_template"),
    "load_sygus": ("problems", "load_sygus"),
    "parse_c_program": ("problems", "parse_c_program"),
    "parse_expression": ("propose", "parse_expression"),
    "parse_python_program": ("problems", "parse_python_program"),
    "parse_smt_template": ("problems", "parse_smt_template"),
    "parse_sygus": ("problems", "parse_sygus"),
    "run_invariants": ("command", "run_invariants"),
    "shrink": ("proof", "shrink"),
    "to_python": ("problems", "to_python"),
}


def __getattr__(name: str) -> Any:
    """Old top-level names keep working for one release, with a ``DeprecationWarning``."""
    if name not in _DEPRECATED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module, new = _DEPRECATED[name]
    value = getattr(importlib.import_module(f"{__name__}.{module}"), new)
    return renamed_attribute(__name__, name, f"{__name__}.{module}.{new}", value)
