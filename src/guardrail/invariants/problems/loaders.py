"""One entry point for every problem format, chosen by file suffix."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from .file_error import file_error
from .load_c import load_c
from .load_python import load_python
from .load_smt import load_smt_template
from .load_sygus import load_sygus
from .problem import LoopProblem

SUFFIXES = {
    ".c": "C program",
    ".smt": "Code2Inv SMT template",
    ".smt2": "Code2Inv SMT template",
    ".sl": "SyGuS-IF invariant problem",
    ".py": "Python loop",
}


def load_problem(path: str | Path) -> LoopProblem:
    """Load one problem: ``.c`` (Code2Inv C), ``.smt``/``.smt2`` (Code2Inv template), ``.sl``, ``.py``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".c":
        return load_c(path)
    if suffix in (".smt", ".smt2"):
        return load_smt_template(path)
    if suffix == ".sl":
        return load_sygus(path)
    if suffix == ".py":
        return load_python(path)
    raise file_error(
        path, None, f"unknown problem format {suffix or '(no suffix)'}; expected one of {', '.join(SUFFIXES)}"
    )


def problem_files(paths: Iterable[str | Path]) -> list[Path]:
    """The problem files named by ``paths`` (files, or directories one level deep), in natural order."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(
                sorted((f for f in p.iterdir() if f.suffix.lower() in SUFFIXES and f.is_file()), key=_natural)
            )
        elif p.exists():
            found.append(p)
        else:
            raise file_error(p, None, "no such file or directory")
    return found


def load_problems(paths: Iterable[str | Path]) -> list[LoopProblem]:
    return [load_problem(f) for f in problem_files(paths)]


def _natural(path: Path) -> tuple[object, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name))
