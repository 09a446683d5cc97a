"""Where candidate invariants come from: a model (through a ``Guard``, repaired with Z3's counterexamples)
and the data-driven proposer (sampled runs, atoms, Houdini, ICE). ``CandidateCheck`` turns a text into an
``InvariantCandidate`` or a rejection that says why.
"""

from .candidates import CandidateCheck, InvariantCandidate, Translator, parse_candidate, parse_expression
from .datadriven import DataDrivenOutcome, DataDrivenProposer, propose_data_driven
from .model import ModelAnswer, ModelProposal, propose_with_model

__all__ = [
    "CandidateCheck",
    "DataDrivenOutcome",
    "DataDrivenProposer",
    "InvariantCandidate",
    "ModelAnswer",
    "ModelProposal",
    "Translator",
    "parse_candidate",
    "parse_expression",
    "propose_data_driven",
    "propose_with_model",
]
