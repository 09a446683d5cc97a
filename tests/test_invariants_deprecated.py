"""Old import paths and names of ``guardrail.invariants`` keep working for one release, and warn.

One test per mechanism: shim modules at the old paths, the package's ``__getattr__`` for names that left
the top level, and the old ``to_json``/``as_dict`` spellings of ``to_dict``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

import guardrail.invariants as invariants
from guardrail.invariants import UnsafeRun, load_problem, solve
from guardrail.invariants.problems import LoopProgram
from guardrail.invariants.proof import InvariantCounterexample
from guardrail.invariants.propose import InvariantCandidate

PACKAGE = Path(invariants.__file__).parent
ONE = Path(__file__).parent / "data" / "code2inv" / "c" / "1.c"

#: Old module → (a name it exported, where that name lives now).
OLD_PATHS = {
    "annotations": ("AnnotationCheck", "guardrail.invariants.specs.annotations"),
    "atoms": ("make_atoms", "guardrail.invariants.propose.atoms"),
    "candidates": ("CandidateCheck", "guardrail.invariants.propose.candidates"),
    "certificate": ("certify", "guardrail.invariants.proof.certificate"),
    "datadriven": ("DataDrivenProposer", "guardrail.invariants.propose.datadriven"),
    "evaluate": ("compile_term", "guardrail.invariants.problems.term_eval"),
    "houdini": ("drop_implied", "guardrail.invariants.proof.houdini"),
    "ice": ("learn", "guardrail.invariants.propose.ice"),
    "load_c": ("parse_c_program", "guardrail.invariants.problems.load_c"),
    "load_python": ("SubsetReader", "guardrail.invariants.problems.load_python"),
    "load_smt": ("parse_smt_template", "guardrail.invariants.problems.load_smt"),
    "load_sygus": ("parse_sygus", "guardrail.invariants.problems.load_sygus"),
    "loaders": ("load_problem", "guardrail.invariants.problems.loaders"),
    "model_proposer": ("PromptBuilder", "guardrail.invariants.propose.model"),
    "problem": ("LoopProblem", "guardrail.invariants.problems.problem"),
    "program": ("run_loop", "guardrail.invariants.problems.interpreter"),
    "render": ("to_python", "guardrail.invariants.problems.render"),
    "sampling": ("reachable_states", "guardrail.invariants.propose.sampling"),
    "sexpr": ("parse_sexprs", "guardrail.invariants.problems.sexpr"),
    "smt_text": ("project", "guardrail.invariants.problems.projection"),
    "solver": ("SolveBudget", "guardrail.invariants.solve"),
    "symbolic": ("problem_from_program", "guardrail.invariants.problems.symbolic"),
    "unsafe": ("find_violation", "guardrail.invariants.proof.unsafe"),
    "vcs": ("check_invariant", "guardrail.invariants.proof.vcs"),
}


def _fresh_import(name: str) -> object:
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def test_every_shim_module_is_listed_here() -> None:
    shims = {
        p.stem
        for p in PACKAGE.glob("*.py")
        if p.read_text(encoding="utf-8").lstrip('"').startswith("Deprecated:")
    }
    assert shims == set(OLD_PATHS)


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_old_module_paths_warn_and_forward(old: str) -> None:
    name, home = OLD_PATHS[old]
    with pytest.warns(DeprecationWarning, match=f"guardrail.invariants.{old} is deprecated"):
        module = _fresh_import(f"guardrail.invariants.{old}")
    assert getattr(module, name) is getattr(importlib.import_module(home), name)
    with pytest.raises(AttributeError, match="moved to"):
        _ = module.no_such_name  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ("candidates", "Candidate", InvariantCandidate),
        ("unsafe", "Violation", UnsafeRun),
        ("program", "Program", LoopProgram),
        ("vcs", "Counterexample", InvariantCounterexample),
    ],
)
def test_renamed_names_still_work_from_their_old_module(old: str, name: str, new: object) -> None:
    with pytest.warns(DeprecationWarning):
        module = _fresh_import(f"guardrail.invariants.{old}")
    with pytest.warns(DeprecationWarning, match=f"{name} is deprecated"):
        assert getattr(module, name) is new


@pytest.mark.parametrize(
    ("name", "new"),
    [("Candidate", InvariantCandidate), ("Violation", UnsafeRun), ("run_invariants", None)],
)
def test_names_that_left_the_top_level_warn(name: str, new: object) -> None:
    with pytest.warns(DeprecationWarning, match=f"guardrail.invariants.{name} is deprecated"):
        value = getattr(invariants, name)
    if new is not None:
        assert value is new
    assert name not in invariants.__all__
    with pytest.raises(AttributeError):
        _ = invariants.no_such_name  # type: ignore[attr-defined]


def test_to_json_and_as_dict_are_old_spellings_of_to_dict() -> None:
    result = solve(load_problem(ONE))
    assert result.solved and result.certificate is not None
    with pytest.warns(DeprecationWarning, match=r"to_json\(\) is deprecated; use to_dict\(\)"):
        assert result.to_json() == result.to_dict()
    check = result.certificate.result.results[0]
    with pytest.warns(DeprecationWarning, match="as_dict"):
        assert check.as_dict() == check.to_dict()
