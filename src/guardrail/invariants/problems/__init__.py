"""Loop-invariant problems: what an invariant has to satisfy (``LoopProblem``), the small loop language that
C and Python sources are read into (``LoopProgram``), and one loader per source format.

``load_problem`` picks the loader by suffix: ``.c`` (Code2Inv C), ``.smt``/``.smt2`` (Code2Inv SMT-LIB
templates), ``.sl`` (SyGuS-IF), ``.py`` (the Python loop subset). The ``parse_*`` functions read the same
formats from text. A broken file raises ``DataFileError`` with ``path`` and ``line``.
"""

from .load_c import load_c, parse_c_program
from .load_python import load_python, parse_python_program
from .load_smt import load_smt_template, parse_smt_template
from .load_sygus import load_sygus, parse_sygus
from .loaders import load_problem, load_problems, problem_files
from .problem import LoopProblem, State, Variable
from .program import LoopProgram
from .render import to_python
from .symbolic import problem_from_program
from .values import Sort, Valuation, Value

__all__ = [
    "LoopProblem",
    "LoopProgram",
    "Sort",
    "State",
    "Valuation",
    "Value",
    "Variable",
    "load_c",
    "load_problem",
    "load_problems",
    "load_python",
    "load_smt_template",
    "load_sygus",
    "parse_c_program",
    "parse_python_program",
    "parse_smt_template",
    "parse_sygus",
    "problem_files",
    "problem_from_program",
    "to_python",
]
