"""S-expressions with source positions, read by a small Lark grammar (``sexpr.lark``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lark import Lark, Token, Tree, UnexpectedInput

from ...errors import DataFileError

_GRAMMAR = Path(__file__).with_name("sexpr.lark")


@dataclass(frozen=True)
class Atom:
    text: str
    line: int
    column: int

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class SList:
    items: tuple[SExpr, ...]
    line: int
    column: int
    start: int
    end: int

    def head(self) -> str | None:
        """The leading symbol, e.g. ``define-fun``; None for an empty list or a list headed by a list."""
        return self.items[0].text if self.items and isinstance(self.items[0], Atom) else None


SExpr = Atom | SList


@cache
def _parser() -> Lark:
    return Lark(_GRAMMAR.read_text(encoding="utf-8"), parser="lalr", propagate_positions=True)


def parse_sexprs(text: str, where: str) -> list[SExpr]:
    """All top-level S-expressions of ``text``; ``DataFileError`` naming ``where`` and the line otherwise."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        context = exc.get_context(text).rstrip()
        problem = "unbalanced parentheses or an unexpected character"
        token = getattr(exc, "token", None)
        if token is not None and token.type == "$END":
            problem = "the file ends inside an unclosed '('"
        raise DataFileError(
            f"{where}:{exc.line}:{exc.column}: not a valid S-expression ({problem}):\n{context}",
            path=where,
            line=exc.line,
        ) from None
    return [_convert(child) for child in tree.children]


def _convert(node: Tree[Token] | Token) -> SExpr:
    if isinstance(node, Token):
        return Atom(str(node), node.line or 0, node.column or 0)
    if node.data == "atom":
        token = node.children[0]
        assert isinstance(token, Token)
        return Atom(str(token), token.line or 0, token.column or 0)
    meta = node.meta
    items = tuple(_convert(c) for c in node.children)
    # An empty list "()" carries no positions in lark's meta.
    return SList(
        items,
        getattr(meta, "line", 0),
        getattr(meta, "column", 0),
        getattr(meta, "start_pos", 0),
        getattr(meta, "end_pos", 0),
    )


def render(expr: SExpr) -> str:
    if isinstance(expr, Atom):
        return expr.text
    return "(" + " ".join(render(i) for i in expr.items) + ")"
