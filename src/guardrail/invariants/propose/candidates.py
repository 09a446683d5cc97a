"""Candidate invariants in Python syntax → Z3 terms, or a rejecting ``Verdict`` that says why.

The text is parsed by the ``python_expr`` grammar check (``Grammar.from_file("python_expr")``, the shipped
``grammars/python_expr.lark``) whose transformer, ``Translator``, knows the problem's variables and turns the
tree into a Z3 term. Rejected, each with feedback a model can act on: text outside the grammar, unknown
names or functions, ill-typed terms, non-linear terms in a linear problem, ``/`` on integers, ``//`` and
``%`` by zero, and vacuous candidates — ones Z3 proves true in every state (``True``, ``x == x``) or false
in every state (``x < x``): they say nothing about the loop.

Every rejection carries a stable ``code``: ``invariant.parse`` (not in the grammar), ``invariant.too_long``,
``invariant.unknown_name``, ``invariant.ill_typed``, ``invariant.nonlinear``, ``invariant.division`` and
``invariant.vacuous`` (``parse_expression`` can put another prefix than ``invariant`` on them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import z3
from lark import Token, Transformer, v_args

from ...checks.base import Check, ErrorDetail, Verdict, too_long
from ...checks.grammar import Grammar
from ..problems.problem import LoopProblem, Variable
from ..problems.render import to_python
from ..problems.symbolic import arith_term

CHECK_NAME = "candidate"
CODE_PREFIX = "invariant"
MAX_CANDIDATE_CHARS = 4000
_FUNCTIONS = ("abs", "min", "max")
_C_HINTS = (
    (re.compile(r"&&"), "use `and` instead of `&&`"),
    (re.compile(r"\|\|"), "use `or` instead of `||`"),
    (re.compile(r"==>|->|=>"), "write an implication `a ==> b` as `not a or b`"),
    (re.compile(r"!(?!=)"), "use `not x` instead of `!x`"),
    (re.compile(r"(?<![<>=!])=(?!=)"), "use == to compare, not ="),
)


@dataclass(frozen=True)
class InvariantCandidate:
    """An accepted candidate invariant: its text and its Z3 term over the problem's state variables."""

    text: str
    term: z3.BoolRef

    def conjuncts(self) -> list[z3.BoolRef]:
        """The top-level conjuncts, each a separate Houdini candidate."""
        return _flatten_and(self.term)


def _flatten_and(term: z3.BoolRef) -> list[z3.BoolRef]:
    if z3.is_and(term):
        return [c for child in term.children() for c in _flatten_and(child)]
    return [term]


class _Reject(ValueError):
    """Raised inside the transformer: the grammar check turns it into a rejection located at the offending
    subtree. The message is written for the model: what is wrong and what to write instead; ``kind`` is
    the last part of the error code (``unknown_name``, ``ill_typed``, ...)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def _sort_name(term: z3.ExprRef) -> str:
    return "bool" if isinstance(term, z3.BoolRef) else "int"


@v_args(inline=True)
class Translator(Transformer[Token, z3.ExprRef]):
    """``python_expr`` tree → Z3 term over the given variables (a Lark transformer).

    ``linear=True`` rejects products of two non-constant terms and division by a non-constant. After a
    rejection, ``rejected`` holds its kind (the grammar check only sees the message).
    """

    def __init__(self, variables: Iterable[Variable], *, linear: bool = True):
        super().__init__()
        self.names = {v.name: v.term() for v in variables}
        self.linear = linear
        self.rejected: str | None = None

    def _reject(self, kind: str, message: str) -> _Reject:
        self.rejected = kind
        return _Reject(kind, message)

    @classmethod
    def for_problem(cls, problem: LoopProblem) -> Translator:
        return cls(problem.variables, linear=problem.is_linear())

    # --- leaves -------------------------------------------------------------------------------------------
    def int_(self, token: Token) -> z3.ExprRef:
        return z3.IntVal(int(token))

    def true(self) -> z3.ExprRef:
        return z3.BoolVal(True)

    def false(self) -> z3.ExprRef:
        return z3.BoolVal(False)

    def name(self, token: Token) -> z3.ExprRef:
        ident = str(token)
        if ident not in self.names:
            raise self._reject(
                "unknown_name",
                f"unknown name {ident!r}; use only the variables {', '.join(sorted(self.names))}",
            )
        return self.names[ident]

    # --- operators ----------------------------------------------------------------------------------------
    def neg(self, operand: z3.ExprRef) -> z3.ExprRef:
        return -self._int(operand, "-")

    def pos(self, operand: z3.ExprRef) -> z3.ExprRef:
        return self._int(operand, "+")

    def not_(self, operand: z3.ExprRef) -> z3.ExprRef:
        return z3.Not(self._bool(operand, "not"))

    def and_(self, *operands: z3.ExprRef) -> z3.ExprRef:
        return z3.And(*[self._bool(c, "and") for c in operands])

    def or_(self, *operands: z3.ExprRef) -> z3.ExprRef:
        return z3.Or(*[self._bool(c, "or") for c in operands])

    def compare(self, *children: Any) -> z3.ExprRef:
        operands = children[0::2]
        ops = [str(t) for t in children[1::2]]
        parts: list[z3.BoolRef] = []
        for op, left, right in zip(ops, operands, operands[1:], strict=False):
            if op in ("==", "!="):
                if _sort_name(left) != _sort_name(right):
                    raise self._reject(
                        "ill_typed",
                        f"{op} compares an {_sort_name(left)} with a {_sort_name(right)}; "
                        "compare numbers with numbers and conditions with conditions",
                    )
                parts.append(left == right if op == "==" else left != right)
            else:
                a, b = self._int(left, op), self._int(right, op)
                parts.append({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])
        return parts[0] if len(parts) == 1 else z3.And(*parts)

    def binop(self, left: z3.ExprRef, op_token: Token, right: z3.ExprRef) -> z3.ExprRef:
        op = str(op_token)
        a, b = self._int(left, op), self._int(right, op)
        if op == "/":
            raise self._reject(
                "division", "/ is true division, which integers do not have; use // (floor division) instead"
            )
        if op == "*" and self.linear and not (_is_literal(a) or _is_literal(b)):
            raise self._reject(
                "nonlinear",
                f"{_show(a)} * {_show(b)} is a non-linear term and the problem is linear; "
                "multiply only by constants",
            )
        if op in ("//", "%"):
            if not _is_literal(b) and self.linear:
                raise self._reject(
                    "nonlinear", f"{op} by {_show(b)} is non-linear; divide only by a constant number"
                )
            if _is_literal(b) and _literal_value(b) == 0:
                raise self._reject("division", f"{_show(a)} {op} 0 divides by zero")
        return arith_term(op, a, b)

    def arguments(self, *children: Any) -> list[z3.ExprRef]:
        return [c for c in children if c is not None]

    def call(self, function: Token, args: list[z3.ExprRef] | None = None) -> z3.ExprRef:
        fname = str(function)
        if fname not in _FUNCTIONS:
            raise self._reject(
                "unknown_name", f"unknown function {fname!r}; only abs, min and max can be called"
            )
        ints = [self._int(a, fname) for a in args or []]
        if fname == "abs":
            if len(ints) != 1:
                raise self._reject("ill_typed", "abs takes exactly one argument")
            return z3.If(ints[0] >= 0, ints[0], -ints[0])
        if len(ints) < 2:
            raise self._reject("ill_typed", f"{fname} needs at least two arguments")
        result = ints[0]
        for x in ints[1:]:
            result = z3.If(x < result, x, result) if fname == "min" else z3.If(x > result, x, result)
        return result

    # --- typing -------------------------------------------------------------------------------------------
    def _int(self, term: z3.ExprRef, op: str) -> z3.ArithRef:
        if not isinstance(term, z3.ArithRef):
            raise self._reject("ill_typed", f"{op} needs numbers, but {_show(term)} is a condition")
        return term

    def _bool(self, term: z3.ExprRef, op: str) -> z3.BoolRef:
        if not isinstance(term, z3.BoolRef):
            raise self._reject(
                "ill_typed", f"{op} needs conditions, but {_show(term)} is a number; write {_show(term)} != 0"
            )
        return term


def _is_literal(term: z3.ExprRef) -> bool:
    return bool(z3.is_int_value(z3.simplify(term)))


def _literal_value(term: z3.ExprRef) -> int:
    value = z3.simplify(term)
    assert z3.is_int_value(value)
    return int(value.as_long())


def _show(term: z3.ExprRef) -> str:
    try:
        return to_python(term)
    except ValueError:
        return str(term)


class CandidateCheck(Check):
    """Accepts a text that is a meaningful candidate invariant for ``problem`` as an ``InvariantCandidate``;
    rejects it with a coded reason otherwise."""

    name = CHECK_NAME

    def __init__(
        self, problem: LoopProblem, *, vacuity_timeout_ms: int = 2000, max_chars: int = MAX_CANDIDATE_CHARS
    ):
        self.problem = problem
        self.vacuity_timeout_ms = vacuity_timeout_ms
        self.max_chars = max_chars

    def check(self, value: Any) -> Verdict:
        text = str(value)
        verdict = _translate(
            text, Translator.for_problem(self.problem), self.max_chars, CHECK_NAME, CODE_PREFIX
        )
        if not verdict.ok:
            return verdict
        text = text.strip()
        term = verdict.value
        if not isinstance(term, z3.BoolRef):
            return _reject(
                "ill_typed",
                f"{text} is a number, not a condition",
                "An invariant is a condition (a comparison or a combination of comparisons), not a number.",
                "a condition",
            )
        vacuous = self._vacuity(term, text)
        return vacuous if vacuous is not None else Verdict.accept(InvariantCandidate(text, term))

    def _vacuity(self, term: z3.BoolRef, text: str) -> Verdict | None:
        for formula, claim, advice in (
            (z3.Not(term), "true in every state", "it says nothing about the loop; relate the variables"),
            (term, "false in every state", "no state satisfies it, so it cannot hold initially"),
        ):
            solver = z3.Solver()
            solver.set("timeout", self.vacuity_timeout_ms)
            solver.add(formula)
            if solver.check() == z3.unsat:
                return _reject(
                    "vacuous",
                    f"{text} is {claim} (vacuous)",
                    f"{text} is {claim}: {advice}.",
                    "a non-trivial condition",
                )
        return None


def parse_expression(
    text: str,
    variables: Iterable[Variable],
    *,
    linear: bool = True,
    max_chars: int = MAX_CANDIDATE_CHARS,
    check: str = CHECK_NAME,
    code_prefix: str = CODE_PREFIX,
) -> Verdict:
    """Any ``python_expr`` text → a Verdict whose value is the Z3 term (no vacuity check, any sort).

    Rejections are named ``check`` and coded ``<code_prefix>.parse``, ``<code_prefix>.unknown_name``, ...
    """
    return _translate(text, Translator(variables, linear=linear), max_chars, check, code_prefix)


def _translate(text: str, translator: Translator, max_chars: int, check: str, prefix: str) -> Verdict:
    """Parse ``text`` with the ``python_expr`` grammar and translate it; every error coded ``prefix.*``."""
    long = too_long(check, text, max_chars)
    if long is not None:
        return Verdict.reject(*(replace(e, code=f"{prefix}.too_long") for e in long.errors))
    grammar = Grammar.from_file("python_expr", transformer=translator, max_chars=max_chars)
    verdict = grammar.check(text.strip())
    if verdict.ok:
        return verdict
    # A rejection from inside the translator has the kind it recorded; anything else is a syntax error.
    kind = translator.rejected or "parse"
    coded = [replace(e, check=check, code=f"{prefix}.{kind}") for e in verdict.errors]
    return _with_hint(Verdict.reject(*coded), text) if kind == "parse" else Verdict.reject(*coded)


def _with_hint(verdict: Verdict, text: str) -> Verdict:
    """Add the fix for habits from other languages (``&&``, ``!x``, ``=``) to a syntax error."""
    hint = next((h for pattern, h in _C_HINTS if pattern.search(text)), None)
    if hint is None:
        return verdict
    first, *rest = verdict.errors
    hinted = replace(first, message=f"{first.message} ({hint})", feedback=f"{first.feedback} Hint: {hint}.")
    return Verdict.reject(hinted, *rest)


def _reject(kind: str, message: str, feedback: str, expected: str | None = None) -> Verdict:
    return Verdict.reject(
        ErrorDetail(
            check=CHECK_NAME,
            message=message,
            feedback=feedback,
            expected=expected,
            line=1,
            column=1,
            code=f"{CODE_PREFIX}.{kind}",
        )
    )


def parse_candidate(text: str, problem: LoopProblem) -> Verdict:
    """Shorthand for ``CandidateCheck(problem).check(text)``."""
    return CandidateCheck(problem).check(text)
