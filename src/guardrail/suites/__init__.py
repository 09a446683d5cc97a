"""Known-answer suites: cases, loaders, generated suites, and scorers (a scorer turns a case into a check)."""

from ..errors import ScoringError
from .case import Case, LoadProblem, Suite
from .code_tests import CodeAgainstTests
from .generated import GeneratedSuite, Shrunk
from .judge import LLMJudge, VerdictWord
from .loaders import FORMATS, load_suite
from .scorers import Exact, LabelOf, Normalized, Numeric, ParseThenCompare, Regex, Scorer

__all__ = [
    "FORMATS",
    "Case",
    "CodeAgainstTests",
    "Exact",
    "GeneratedSuite",
    "LLMJudge",
    "LabelOf",
    "LoadProblem",
    "Normalized",
    "Numeric",
    "ParseThenCompare",
    "Regex",
    "Scorer",
    "ScoringError",
    "Shrunk",
    "Suite",
    "VerdictWord",
    "load_suite",
]
