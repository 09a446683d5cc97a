"""Loop invariants and specs: "LLM proposes, Z3 disposes".

Load a problem (``load_problem``: Code2Inv C, Code2Inv SMT templates, SyGuS-IF ``.sl``, Python loops),
check a candidate (``CandidateCheck`` then ``check_invariant``), prune candidates (``houdini``), or let
``solve`` run the model and data-driven proposers within a budget. Nothing is reported proven that Z3 did
not prove.
"""

from .annotations import Annotated, AnnotationCheck, check_annotations
from .candidates import Candidate, CandidateCheck, Translator, parse_candidate, parse_expression
from .certificate import Certificate, certify
from .command import InvariantsSummary, run_invariants
from .datadriven import DataDrivenOutcome, DataDrivenProposer, propose_data_driven
from .houdini import HoudiniResult, houdini, shrink
from .load_c import load_c, parse_c_program
from .load_python import load_python, parse_python_program
from .load_smt import load_smt_template, parse_smt_template
from .load_sygus import load_sygus, parse_sygus
from .loaders import load_problem, load_problems, problem_files
from .model_proposer import ModelAnswer, ModelProposal, propose_with_model
from .problem import LoopProblem, State, Variable
from .render import to_python
from .solver import SolveBudget, SolveResult, asolve, solve
from .specs import SpecResult, check_spec
from .unsafe import BmcResult, Violation, find_violation
from .vcs import (
    CheckResult,
    InvariantCheck,
    InvariantResult,
    Status,
    Transition,
    check_consecution,
    check_initiation,
    check_invariant,
    check_safety,
)

__all__ = [
    "Annotated",
    "AnnotationCheck",
    "BmcResult",
    "Candidate",
    "CandidateCheck",
    "Certificate",
    "CheckResult",
    "DataDrivenOutcome",
    "DataDrivenProposer",
    "HoudiniResult",
    "InvariantCheck",
    "InvariantResult",
    "InvariantsSummary",
    "LoopProblem",
    "ModelAnswer",
    "ModelProposal",
    "SolveBudget",
    "SolveResult",
    "SpecResult",
    "State",
    "Status",
    "Transition",
    "Translator",
    "Variable",
    "Violation",
    "asolve",
    "certify",
    "check_annotations",
    "check_consecution",
    "check_initiation",
    "check_invariant",
    "check_safety",
    "check_spec",
    "find_violation",
    "houdini",
    "load_c",
    "load_problem",
    "load_problems",
    "load_python",
    "load_smt_template",
    "load_sygus",
    "parse_c_program",
    "parse_candidate",
    "parse_expression",
    "parse_python_program",
    "parse_smt_template",
    "parse_sygus",
    "problem_files",
    "propose_data_driven",
    "propose_with_model",
    "run_invariants",
    "shrink",
    "solve",
    "to_python",
]
