"""Specs of small Python functions: pre- and postconditions proven by Z3 or tested with hypothesis, type
annotations accepted only when mypy passes — checked when given, or proposed by a model and then checked.

``check_spec`` checks a spec of a live function (called in-process when tested); ``check_file_spec`` one of
a function read from a file (``read_functions``; its code runs only in the sandbox). ``apropose_spec`` and
``apropose_annotations`` ask a model through a ``Guard``; ``guardrail.invariants.specs.command`` is the
engine of ``guardrail specs FILE.py``.
"""

from .annotations import Annotated, AnnotationCheck, check_annotations, replace_header
from .check import Conditions, SpecResult, check_file_spec, check_spec, parse_conditions, spec_verdict
from .functions import PythonFile, PythonFunction, SpecSignature, parse_functions, read_functions
from .propose import (
    AnnotationProposal,
    SpecEvidenceCheck,
    SpecProposal,
    SpecProposalCheck,
    apropose_annotations,
    apropose_spec,
)

__all__ = [
    "Annotated",
    "AnnotationCheck",
    "AnnotationProposal",
    "Conditions",
    "PythonFile",
    "PythonFunction",
    "SpecEvidenceCheck",
    "SpecProposal",
    "SpecProposalCheck",
    "SpecResult",
    "SpecSignature",
    "apropose_annotations",
    "apropose_spec",
    "check_annotations",
    "check_file_spec",
    "check_spec",
    "parse_conditions",
    "parse_functions",
    "read_functions",
    "replace_header",
    "spec_verdict",
]
