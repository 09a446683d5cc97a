"""Read the Code2Inv SMT-LIB verification-condition templates (``c_smt2/*.c.smt``).

A template declares the variables, opens ``(define-fun inv-f (...) Bool`` and leaves its body to a marker
line, then defines ``pre-f``, ``trans-f`` and ``post-f`` and asserts the negations of the three checks. We
parse it with Z3's own SMT-LIB parser after turning ``inv-f`` into an uninterpreted function, then read
``P``, ``T`` and ``Q`` off the three asserted implications by their shape. Line numbers in errors are the
file's: the rewrite keeps every line where it was.
"""

from __future__ import annotations

import re
from pathlib import Path

import z3

from ...errors import DataFileError
from .file_error import file_error
from .problem import LoopProblem, Variable, free_constants
from .projection import formula_problem
from .sexpr import Atom, SList, parse_sexprs
from .values import Sort

MARKER = "SPLIT_HERE_asdfghjklzxcvbnmqwertyuiop"
_Z3_POSITION = re.compile(r"line (\d+) column (\d+): (.*)")


def is_code2inv_template(text: str) -> bool:
    return MARKER in text


def load_smt_template(path: str | Path) -> LoopProblem:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise file_error(path, None, f"cannot read the file ({exc.strerror})") from exc
    return parse_smt_template(text, str(path), name=path.name, source=path)


def parse_smt_template(text: str, where: str, *, name: str, source: Path | None = None) -> LoopProblem:
    if MARKER not in text:
        raise file_error(
            where,
            1,
            f"not a Code2Inv SMT template: the line {MARKER} that marks the invariant's body is missing",
        )
    # The marker in inv-f's body becomes "true" so the file is a well-formed S-expression list; the
    # markers between the assertions become blanks. Same lengths of lines are not needed, same lines are.
    first = text.index(MARKER)
    filled = text[:first] + "true" + text[first + len(MARKER) :].replace(MARKER, "")
    forms = parse_sexprs(filled, where)

    inv = next(
        (f for f in forms if isinstance(f, SList) and f.head() == "define-fun" and _name_of(f) == "inv-f"),
        None,
    )
    if inv is None:
        raise file_error(where, 1, "no (define-fun inv-f ...) found; expected a Code2Inv SMT template")
    params = _parameters(inv, where)
    sorts = " ".join(sort for _, sort in params)
    replacement = f"(declare-fun inv-f ({sorts}) Bool)"
    span = filled[inv.start : inv.end]
    smt = filled[: inv.start] + replacement + "\n" * span.count("\n") + filled[inv.end :]

    try:
        assertions = list(z3.parse_smt2_string(smt))
    except z3.Z3Exception as exc:
        raise _z3_error(where, exc) from None

    variables = tuple(Variable(n, s) for n, s in params)
    pre, trans, post, primed_names = _split_checks(assertions, variables, where)
    # Rename whatever the template calls the primed copies to our convention (x -> x!).
    renames = [
        (z3.Int(p) if v.sort == "Int" else z3.Bool(p), v.primed())
        for v, p in zip(variables, primed_names, strict=True)
        if p != v.name + "!"
    ]
    if renames:
        trans = z3.substitute(trans, *renames)
    constants = sorted({int(c) for c in re.findall(r"(?<![\w!.])(\d+)(?![\w.])", _body_text(filled))})
    return formula_problem(
        name=name,
        variables=variables,
        pre=pre,
        trans=trans,
        post=post,
        source=source,
        constants=tuple(constants),
        kind="smt2",
    )


def _name_of(form: SList) -> str | None:
    return form.items[1].text if len(form.items) > 1 and isinstance(form.items[1], Atom) else None


def _parameters(form: SList, where: str) -> list[tuple[str, Sort]]:
    if len(form.items) < 3 or not isinstance(form.items[2], SList):
        raise file_error(where, form.line, "inv-f has no parameter list")
    params: list[tuple[str, Sort]] = []
    for p in form.items[2].items:
        if not (isinstance(p, SList) and len(p.items) == 2 and all(isinstance(i, Atom) for i in p.items)):
            raise file_error(where, form.line, "inv-f parameters must look like (x Int)")
        pname, psort = str(p.items[0]), str(p.items[1])
        if psort not in ("Int", "Bool"):
            raise file_error(
                where, p.line, f"parameter {pname} has sort {psort}; only Int and Bool are supported"
            )
        params.append((pname, psort))  # type: ignore[arg-type]
    return params


def _body_text(text: str) -> str:
    """Text of the pre/trans/post definitions (where the program's constants are)."""
    start = text.find("pre-f")
    return text[start:] if start >= 0 else text


def _z3_error(where: str, exc: z3.Z3Exception) -> DataFileError:
    raw = exc.value.decode() if isinstance(exc.value, bytes) else str(exc.value)
    match = _Z3_POSITION.search(raw)
    if match:
        line, column, message = match.groups()
        return file_error(
            where, int(line), f"Z3 cannot read this SMT-LIB: {message.rstrip(chr(34) + ')')}", int(column)
        )
    return file_error(where, None, f"Z3 cannot read this SMT-LIB: {raw.strip()}")


def _is_inv(term: z3.ExprRef) -> bool:
    return bool(z3.is_app(term) and term.decl().name() == "inv-f")


def _split_checks(
    assertions: list[z3.ExprRef], variables: tuple[Variable, ...], where: str
) -> tuple[z3.BoolRef, z3.BoolRef, z3.BoolRef, list[str]]:
    """Recognise pre ⇒ inv, inv ∧ trans ⇒ inv', inv ⇒ post among the asserted negations."""
    pre = trans = post = None
    primed: list[str] = []
    current = [v.name for v in variables]
    for a in assertions:
        if not (z3.is_not(a) and z3.is_implies(a.arg(0))):
            raise file_error(where, None, f"expected each assertion to be (not (=> ...)), found {a}")
        lhs, rhs = a.arg(0).arg(0), a.arg(0).arg(1)
        if _is_inv(rhs) and not _mentions_inv(lhs):
            _expect_args(rhs, current, where)
            pre = lhs
        elif _is_inv(rhs):
            conjuncts = lhs.children() if z3.is_and(lhs) else [lhs]
            invs = [c for c in conjuncts if _is_inv(c)]
            rest = [c for c in conjuncts if not _is_inv(c)]
            if len(invs) != 1 or any(_mentions_inv(r) for r in rest):
                raise file_error(
                    where,
                    None,
                    "the consecution check should read (=> (and (inv-f x) (trans-f ...)) (inv-f x!))",
                )
            _expect_args(invs[0], current, where)
            primed = [str(arg) for arg in rhs.children()]
            trans = z3.And(*rest) if len(rest) != 1 else rest[0]
        elif _is_inv(lhs) and not _mentions_inv(rhs):
            _expect_args(lhs, current, where)
            post = rhs
        else:
            raise file_error(where, None, f"an assertion is not one of the three invariant checks: {a}")
    if pre is None or trans is None or post is None:
        missing = [
            n
            for n, t in (
                ("pre-f ⇒ inv-f", pre),
                ("inv-f ∧ trans-f ⇒ inv-f'", trans),
                ("inv-f ⇒ post-f", post),
            )
            if t is None
        ]
        raise file_error(where, None, f"the template lacks the check(s): {', '.join(missing)}")
    for name in primed:
        if name in current:
            raise file_error(
                where, None, f"inv-f is applied to {name} in the consecution check; expected primed copies"
            )
    assert isinstance(pre, z3.BoolRef) and isinstance(trans, z3.BoolRef) and isinstance(post, z3.BoolRef)
    _check_sorts(pre, trans, post, where)
    return pre, trans, post, primed


def _expect_args(app: z3.ExprRef, names: list[str], where: str) -> None:
    got = [str(a) for a in app.children()]
    if got != names:
        raise file_error(
            where, None, f"inv-f is applied to ({' '.join(got)}), expected its parameters ({' '.join(names)})"
        )


def _mentions_inv(term: z3.ExprRef) -> bool:
    if _is_inv(term):
        return True
    return any(_mentions_inv(c) for c in term.children()) if z3.is_app(term) else False


def _check_sorts(pre: z3.BoolRef, trans: z3.BoolRef, post: z3.BoolRef, where: str) -> None:
    for t in free_constants(pre, trans, post):
        if t.sort() not in (z3.IntSort(), z3.BoolSort()):
            raise file_error(
                where, None, f"constant {t} has sort {t.sort()}; only Int and Bool are supported"
            )
