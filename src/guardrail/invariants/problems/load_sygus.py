"""Read SyGuS-IF invariant problems (``.sl``, versions 1 and 2).

Supported commands: ``set-logic``, ``set-info``, ``set-option``, ``synth-inv``, ``declare-primed-var`` (v1),
``declare-var`` (v2, ignored: ``synth-inv`` names the state), ``define-fun``, ``inv-constraint`` and
``check-synth``. The S-expressions are read by our Lark grammar (for structure and line numbers); the
function bodies are handed to Z3's SMT-LIB parser, which expands the definitions into terms.
"""

from __future__ import annotations

import re
from pathlib import Path

import z3

from ..._text import clip
from .file_error import file_error
from .problem import PRIME, LoopProblem, Variable
from .projection import formula_problem
from .sexpr import Atom, SList, parse_sexprs, render
from .values import Sort

_IGNORED = {"set-logic", "set-info", "set-option", "check-synth", "declare-var", "declare-primed-var"}
_LOGICS = {"LIA", "NIA", "ALL", "SAT", "LRA", "QF_LIA", "QF_NIA"}
_Z3_POSITION = re.compile(r"line (\d+) column (\d+): (.*)")


def load_sygus(path: str | Path) -> LoopProblem:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise file_error(path, None, f"cannot read the file ({exc.strerror})") from exc
    return parse_sygus(text, str(path), name=path.name, source=path)


def parse_sygus(text: str, where: str, *, name: str = "sygus", source: Path | None = None) -> LoopProblem:
    forms = parse_sexprs(text, where)
    synth: SList | None = None
    constraint: SList | None = None
    definitions: dict[str, SList] = {}
    for form in forms:
        if not isinstance(form, SList) or form.head() is None:
            raise file_error(
                where, _line(form), f"expected a command like (synth-inv ...), found {clip(render(form), 60)}"
            )
        head = form.head()
        if head == "set-logic":
            logic = _atom(form, 1, where)
            if logic not in _LOGICS:
                raise file_error(
                    where, form.line, f"logic {logic} is not supported; use LIA (linear integers)"
                )
        elif head in _IGNORED:
            continue
        elif head == "synth-inv":
            if synth is not None:
                raise file_error(where, form.line, "a second synth-inv; one invariant per file is supported")
            synth = form
        elif head == "define-fun":
            definitions[_atom(form, 1, where)] = form
        elif head == "inv-constraint":
            constraint = form
        elif head in ("synth-fun", "constraint", "declare-fun"):
            raise file_error(
                where,
                form.line,
                f"({head} ...) is not supported; write the problem with synth-inv, "
                "pre-f/trans-f/post-f definitions and inv-constraint",
            )
        else:
            raise file_error(where, form.line, f"unknown command ({head} ...)")
    if synth is None:
        raise file_error(where, 1, "no (synth-inv inv-f ((x Int) ...)) command: nothing to synthesise")
    if constraint is None:
        raise file_error(where, synth.line, "no (inv-constraint inv-f pre-f trans-f post-f) command")

    inv_name = _atom(synth, 1, where)
    variables = tuple(Variable(n, s) for n, s in _params(synth, 2, where))
    if len(constraint.items) != 5:
        raise file_error(where, constraint.line, "inv-constraint takes four names: inv, pre, trans, post")
    names = [_atom(constraint, i, where) for i in range(1, 5)]
    if names[0] != inv_name:
        raise file_error(
            where, constraint.line, f"inv-constraint names {names[0]}, but synth-inv defines {inv_name}"
        )
    for fname in names[1:]:
        if fname not in definitions:
            raise file_error(where, constraint.line, f"{fname} is used in inv-constraint but never defined")
    pre_f, trans_f, post_f = (definitions[n] for n in names[1:])
    _expect_arity(pre_f, len(variables), where)
    _expect_arity(trans_f, 2 * len(variables), where)
    _expect_arity(post_f, len(variables), where)

    pre, trans, post = _to_z3(text, forms, definitions, variables, names[1:], where)
    constants = sorted({int(t) for f in definitions.values() for t in _numerals(f)})
    return formula_problem(
        name=name,
        variables=variables,
        pre=pre,
        trans=trans,
        post=post,
        source=source,
        constants=tuple(constants),
        kind="sygus",
    )


def _line(form: Atom | SList) -> int:
    return form.line


def _atom(form: SList, index: int, where: str) -> str:
    if index >= len(form.items) or not isinstance(form.items[index], Atom):
        raise file_error(where, form.line, f"({form.head()} ...) expects a name in position {index}")
    return form.items[index].text  # type: ignore[union-attr]


def _params(form: SList, index: int, where: str) -> list[tuple[str, Sort]]:
    if index >= len(form.items) or not isinstance(form.items[index], SList):
        raise file_error(
            where, form.line, f"({form.head()} ...) expects a parameter list like ((x Int) (y Int))"
        )
    params: list[tuple[str, Sort]] = []
    plist = form.items[index]
    assert isinstance(plist, SList)
    for p in plist.items:
        if not (isinstance(p, SList) and len(p.items) == 2 and all(isinstance(i, Atom) for i in p.items)):
            raise file_error(where, _line(p), f"a parameter must look like (x Int), found {render(p)}")
        pname, psort = str(p.items[0]), str(p.items[1])
        if psort not in ("Int", "Bool"):
            raise file_error(where, p.line, f"{pname} has sort {psort}; only Int and Bool are supported")
        params.append((pname, psort))  # type: ignore[arg-type]
    return params


def _expect_arity(form: SList, arity: int, where: str) -> None:
    params = _params(form, 2, where)
    if len(params) != arity:
        raise file_error(
            where, form.line, f"{_atom(form, 1, where)} takes {len(params)} parameters, expected {arity}"
        )


def _numerals(form: Atom | SList) -> list[str]:
    if isinstance(form, Atom):
        return [form.text] if form.text.isdigit() else []
    return [n for item in form.items for n in _numerals(item)]


def _to_z3(
    text: str,
    forms: list[Atom | SList],
    definitions: dict[str, SList],
    variables: tuple[Variable, ...],
    names: list[str],
    where: str,
) -> tuple[z3.BoolRef, z3.BoolRef, z3.BoolRef]:
    """Let Z3 expand the definitions, keeping each definition on its own line of the file."""
    # Blank every command but the definitions, keeping newlines, so Z3's line numbers are the file's.
    kept = {id(f) for f in definitions.values()}
    chars = list(text)
    for f in forms:
        if isinstance(f, SList) and id(f) not in kept:
            for i in range(f.start, f.end):
                if chars[i] != "\n":
                    chars[i] = " "
    body = "".join(chars)
    # Comments outside the kept definitions are harmless; declarations go first on line 1.
    decls = "".join(
        f"(declare-const {v.name} {v.sort})(declare-const {v.name}{PRIME} {v.sort})" for v in variables
    )
    current = " ".join(v.name for v in variables)
    primed = " ".join(v.name + PRIME for v in variables)
    pre_f, trans_f, post_f = names
    asserts = "".join(
        f"\n(assert ({fn} {args}))"
        for fn, args in ((pre_f, current), (trans_f, f"{current} {primed}"), (post_f, current))
    )
    try:
        terms = list(z3.parse_smt2_string(decls + body + asserts))
    except z3.Z3Exception as exc:
        raw = exc.value.decode() if isinstance(exc.value, bytes) else str(exc.value)
        match = _Z3_POSITION.search(raw)
        if match:
            line, column, message = match.groups()
            raise file_error(
                where,
                int(line),
                f"Z3 cannot read this definition: {message.rstrip(chr(34) + ')')}",
                int(column),
            ) from None
        raise file_error(where, None, f"Z3 cannot read the definitions: {raw.strip()}") from None
    if len(terms) != 3 or not all(isinstance(t, z3.BoolRef) for t in terms):
        raise file_error(where, None, "pre, trans and post must be Boolean functions")
    pre, trans, post = terms
    assert isinstance(pre, z3.BoolRef) and isinstance(trans, z3.BoolRef) and isinstance(post, z3.BoolRef)
    return pre, trans, post
