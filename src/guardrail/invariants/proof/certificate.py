"""A proof certificate: the invariant, re-checked from scratch, exportable as SMT-LIB.

``certify`` uses a fresh solver per condition, independent of whatever found the invariant (Houdini's
incremental solver, the learner). The SMT-LIB export is three self-contained scripts, each of which a
third-party solver should answer ``unsat``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from .._deprecated import DeprecatedSpellings
from ..problems.problem import LoopProblem, free_constants
from ..problems.render import to_python
from .vcs import CONDITIONS, DEFAULT_TIMEOUT_MS, InvariantResult, check_invariant


@dataclass(frozen=True)
class Certificate(DeprecatedSpellings):
    problem: LoopProblem
    invariant: z3.BoolRef
    result: InvariantResult

    @property
    def text(self) -> str:
        """The invariant in Python syntax."""
        try:
            return to_python(self.invariant)
        except ValueError:
            return str(self.invariant.sexpr())

    def queries(self) -> dict[str, str]:
        """One SMT-LIB script per condition; each is ``unsat`` exactly when that condition is valid."""
        p = self.problem
        now = " ".join(_symbol(v.name) for v in p.variables)
        nxt = " ".join(_symbol(v.name + "!") for v in p.variables)
        guard = [p.guard.sexpr()] if p.guard is not None else []
        exit_ = [f"(not {p.guard.sexpr()})"] if p.guard is not None else []
        negations = {
            "initiation": [p.pre.sexpr(), f"(not (inv-f {now}))"],
            "consecution": [f"(inv-f {now})", *guard, p.trans.sexpr(), f"(not (inv-f {nxt}))"],
            "safety": [f"(inv-f {now})", *exit_, f"(not {p.post.sexpr()})"],
        }
        return {name: _script(p, name, negations[name], self.invariant) for name in CONDITIONS}

    def smtlib(self) -> str:
        """All three checks in one script, separated by push/pop; every check-sat should answer unsat."""
        parts = [f"; invariant of {self.problem.name}: {self.text}", "; each (check-sat) below must be unsat"]
        for name, script in self.queries().items():
            body = "\n".join(line for line in script.splitlines() if not line.startswith("(set-logic"))
            parts.append(f"; --- {name}\n(push 1)\n{body}\n(pop 1)")
        return "(set-logic ALL)\n" + "\n".join(parts) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem": self.problem.name,
            "invariant": self.text,
            "checks": [r.to_dict() for r in self.result.results],
        }


def _script(problem: LoopProblem, name: str, conjuncts: list[str], invariant: z3.BoolRef) -> str:
    parts = [problem.pre, problem.trans, problem.post] + (
        [problem.guard] if problem.guard is not None else []
    )
    constants = {
        c.decl().name(): c for c in problem.terms() + problem.primed_terms() + free_constants(*parts)
    }
    declarations = [f"(declare-const {_symbol(n)} {c.sort().sexpr()})" for n, c in constants.items()]
    params = " ".join(f"({_symbol(v.name)} {v.sort})" for v in problem.variables)
    return "\n".join(
        [
            "(set-logic ALL)",
            f"; {name} check for {problem.name}: unsat means valid",
            *declarations,
            f"(define-fun inv-f ({params}) Bool {invariant.sexpr()})",
            f"(assert (and {' '.join(conjuncts)}))",
            "(check-sat)",
        ]
    )


def _symbol(name: str) -> str:
    simple = all(ch.isalnum() or ch in "~!@$%^&*_+=<>.?/-" for ch in name) and not name[0].isdigit()
    return name if simple else f"|{name}|"


def certify(
    problem: LoopProblem, invariant: z3.BoolRef, timeout_ms: int = DEFAULT_TIMEOUT_MS
) -> Certificate | None:
    """A certificate when a fresh solver proves all three conditions; None otherwise (including unknown)."""
    result = check_invariant(problem, invariant, timeout_ms)
    return Certificate(problem, invariant, result) if result.proven else None
