"""Loading loop problems: Code2Inv C and SMT templates, SyGuS-IF v1/v2, Python loops, and broken files."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
import z3

from guardrail.errors import DataFileError
from guardrail.invariants import check_invariant, load_problem, parse_candidate, problem_files
from guardrail.invariants.problems import (
    parse_c_program,
    parse_python_program,
    parse_smt_template,
    parse_sygus,
)
from guardrail.invariants.problems.interpreter import run_loop
from guardrail.invariants.propose.sampling import initial_states

DATA = Path(__file__).parent / "data"
C_DIR = DATA / "code2inv" / "c"
SMT_DIR = DATA / "code2inv" / "c_smt2"
NUMBERS = sorted(int(p.stem) for p in C_DIR.glob("*.c"))

# Candidate invariants over the variables that both forms of each program share. Their verdicts must be
# the same in both forms (each condition valid or not).
CANDIDATES = {
    1: ["x >= 1 and y >= 0 and x >= y", "x >= y", "y <= 100000", "x >= 1 and y >= 0"],
    10: ["y >= 0", "x != 4 or y != 0", "x >= y", "x - y <= 2 and x - y >= -2"],
    15: ["n <= 0 or n > m", "m >= 0", "x <= n", "m <= x"],
    26: ["x == n", "x <= n", "x >= 1 or n < 0"],
    40: ["c == 0 and n >= 1", "c >= 0", "c <= n"],
    90: ["x != y or lock == 1", "lock == 0", "y == x + 1 or lock == 1"],
    100: ["x + y == n and x >= 0", "x + y == n", "y <= n"],
    110: ["i == sn + 1 and (i <= n or sn == 0 or sn == n)", "i == sn + 1", "sn >= 0"],
    130: ["(x1 > 0 or x2 >= 0) and d2 == 1 and d1 == 1", "x1 > 0", "d1 == 1"],
}


def test_every_copied_program_loads_in_both_forms() -> None:
    assert NUMBERS, "the Code2Inv test subset is missing"
    for n in NUMBERS:
        c = load_problem(C_DIR / f"{n}.c")
        smt = load_problem(SMT_DIR / f"{n}.c.smt")
        assert c.kind == "c" and smt.kind == "smt2"
        # Templates sometimes declare an extra unused variable (tmp); the C declarations are all there,
        # except Code2Inv's unused decoys (z1..z3, v1..v3) that its templates leave out.
        c_names, smt_names = {v.name for v in c.variables}, {v.name for v in smt.variables}
        assert c_names - smt_names <= {"z1", "z2", "z3", "v1", "v2", "v3"}
        assert c.guard is not None and smt.guard is None


@pytest.mark.parametrize("n", sorted(CANDIDATES))
def test_c_and_smt_forms_agree_on_every_condition(n: int) -> None:
    c = load_problem(C_DIR / f"{n}.c")
    smt = load_problem(SMT_DIR / f"{n}.c.smt")
    for text in CANDIDATES[n]:
        in_c, in_smt = parse_candidate(text, c), parse_candidate(text, smt)
        assert in_c.ok and in_smt.ok, (text, in_c.feedback(), in_smt.feedback())
        verdict_c = check_invariant(c, in_c.value.term)
        verdict_smt = check_invariant(smt, in_smt.value.term)
        assert [r.status for r in verdict_c.results] == [r.status for r in verdict_smt.results], text


def test_c_loader_reads_declarations_with_initialisers_and_updates() -> None:
    program = parse_c_program(
        "int main() { int x = 0, y; unsigned int n; assume(n > 2);\n"
        "  while (x < n) { x++; y += 2; if (unknown()) { y--; } else y = y - 1; }\n"
        "  assert(x == n); }"
    )
    assert [d.name for d in program.variables] == ["x", "y", "n"]
    rng = random.Random(1)
    states = run_loop(program, {"x": 0, "y": 5, "n": 4}, rng, 100)
    assert states[-1]["x"] == 4
    # every iteration adds 2 and takes 1 from y
    assert states[-1]["y"] == 5 + 4


def test_interpreter_and_transition_relation_agree() -> None:
    # Each sampled step of the concrete interpreter satisfies the symbolic transition relation.
    problem = load_problem(C_DIR / "90.c")
    assert problem.program is not None and problem.guard is not None
    rng = random.Random(3)
    for start in initial_states(problem, rng, 5):
        trace = run_loop(problem.program, start, rng, 20)
        for before, after in itertools.pairwise(trace):
            solver = z3.Solver()
            solver.add(problem.guard, problem.trans)
            for v in problem.variables:
                solver.add(v.term() == before[v.name], v.primed() == after[v.name])
            assert solver.check() == z3.sat


def test_sygus_v1_and_v2_state_the_same_problem_as_the_c_program() -> None:
    c = load_problem(C_DIR / "1.c")
    for name in ("count.sl", "count_v2.sl"):
        sl = load_problem(DATA / "invariants" / name)
        assert [v.name for v in sl.variables] == ["x", "y"]
        for text in CANDIDATES[1]:
            term = parse_candidate(text, sl).value.term
            assert check_invariant(sl, term).proven == check_invariant(c, term).proven, (name, text)


def test_python_loops_load_from_a_function_or_top_level(tmp_path: Path) -> None:
    triangle = load_problem(DATA / "invariants" / "sum.py")
    assert [v.name for v in triangle.variables] == ["n", "i", "s"]
    halves = load_problem(DATA / "invariants" / "halves.py")
    assert halves.kind == "python"
    proof = parse_candidate("a >= 0 and b >= 0", halves).value.term
    assert check_invariant(halves, proof).proven


def test_python_loader_supports_chained_comparisons_and_elif() -> None:
    program = parse_python_program(
        "x: int\nassume(0 <= x <= 3)\nwhile x > 0:\n    if x == 3:\n        x -= 2\n    elif x == 2:\n"
        "        x = x - 2\n    else:\n        x = x - 1\nassert x == 0\n"
    )
    rng = random.Random(0)
    assert run_loop(program, {"x": 3}, rng, 10)[-1]["x"] == 0


def test_problem_files_lists_a_directory_in_natural_order() -> None:
    names = [p.name for p in problem_files([C_DIR])]
    assert names == [f"{n}.c" for n in NUMBERS]


# --- broken files: errors name the file and the line --------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("open.sl", "(set-logic LIA)\n(synth-inv inv-f ((x Int))\n", ":2:"),
        ("cmd.sl", "(set-logic LIA)\n(synth-inv inv-f ((x Int)))\n(frobnicate)\n", ":3:"),
        ("sort.sl", "(set-logic LIA)\n(synth-inv inv-f ((x Real)))\n", ":2:"),
        ("noconstraint.sl", "(set-logic LIA)\n(synth-inv inv-f ((x Int)))\n(check-synth)\n", ":2:"),
        (
            "z3.sl",
            "(set-logic LIA)\n(synth-inv inv-f ((x Int)))\n(define-fun pre-f ((x Int)) Bool (= x 0))\n"
            "(define-fun trans-f ((x Int) (x! Int)) Bool\n  (= x! (+ x undefined_name)))\n"
            "(define-fun post-f ((x Int)) Bool (>= x 0))\n(inv-constraint inv-f pre-f trans-f post-f)\n",
            ":5:",
        ),
        (
            "arity.sl",
            "(set-logic LIA)\n(synth-inv inv-f ((x Int)))\n(define-fun pre-f ((x Int) (y Int)) Bool true)\n"
            "(define-fun trans-f ((x Int) (x! Int)) Bool true)\n(define-fun post-f ((x Int)) Bool true)\n"
            "(inv-constraint inv-f pre-f trans-f post-f)\n",
            ":3:",
        ),
        ("nomarker.smt", "(set-logic LIA)\n(declare-const x Int)\n", ":1:"),
        ("syntax.c", "int main() {\n  int x;\n  while (x < 10 {\n    x++;\n  }\n}\n", ":3:"),
        (
            "twoloops.c",
            "int main() {\n int x;\n while (x) { x--; }\n while (x) { x--; }\n assert(x == 0);\n}\n",
            "",
        ),
        ("noassert.c", "int main() { int x; while (x > 0) { x--; } }\n", ""),
        ("undeclared.c", "int main() { int x; while (x > 0) { x = x - y; } assert(x <= 0); }\n", ""),
        ("syntax.py", "x: int\nwhile x > 0\n    x -= 1\nassert x <= 0\n", ":2:"),
        ("division.py", "x: int\nwhile x > 0:\n    x = x / 2\nassert x <= 0\n", ":3:"),
        ("weird.txt", "", ""),
    ],
)
def test_broken_files_raise_errors_naming_the_file_and_line(
    tmp_path: Path, name: str, text: str, where: str
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(DataFileError) as info:
        load_problem(path)
    message = str(info.value)
    assert str(path) in message
    assert where in message, message
    # The same place as data, for programs: the file, and the line wherever the message names one.
    assert info.value.path == str(path)
    if where:
        assert info.value.line == int(where.strip(":"))
        assert info.value.to_dict()["line"] == info.value.line


def test_a_template_z3_cannot_read_names_the_line(tmp_path: Path) -> None:
    text = (SMT_DIR / "1.c.smt").read_text(encoding="utf-8")
    lines = text.splitlines()
    target = next(i for i, line in enumerate(lines) if "( = x_1 1 )" in line)
    lines[target] = lines[target].replace("x_1 1", "x_1 nonsense")
    with pytest.raises(DataFileError) as info:
        parse_smt_template("\n".join(lines), "broken.c.smt", name="broken")
    assert f"broken.c.smt:{target + 1}:" in str(info.value)
    assert (info.value.path, info.value.line) == ("broken.c.smt", target + 1)


def test_sygus_without_synth_inv_is_rejected() -> None:
    with pytest.raises(DataFileError, match="synth-inv"):
        parse_sygus("(set-logic LIA)\n(check-synth)\n", "empty.sl")
