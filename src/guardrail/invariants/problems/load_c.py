"""Read the Code2Inv C programs (the small C subset described in ``c_subset.lark``) into a ``LoopProblem``."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, UnexpectedInput, v_args

from .file_error import file_error
from .problem import LoopProblem
from .program import (
    Arith,
    Assert,
    Assign,
    Assume,
    Compare,
    Const,
    Declaration,
    Expr,
    Havoc,
    If,
    Ite,
    Logic,
    LoopProgram,
    Neg,
    Not,
    Stmt,
    Unknown,
    Var,
    While,
    program_constants,
)
from .symbolic import problem_from_program
from .values import Sort

_GRAMMAR = Path(__file__).with_name("c_subset.lark")


@cache
def _parser() -> Lark:
    return Lark(_GRAMMAR.read_text(encoding="utf-8"), parser="lalr", propagate_positions=True)


class _CError(Exception):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def _as_bool(e: Expr) -> Expr:
    """C truthiness: an integer used as a condition means ``!= 0``."""
    if isinstance(e, Unknown):
        return Unknown("Bool")
    if isinstance(e, Compare | Logic | Not) or (isinstance(e, Const) and isinstance(e.value, bool)):
        return e
    return Compare("!=", e, Const(0))


def _as_int(e: Expr) -> Expr:
    if isinstance(e, Compare | Logic | Not):
        raise _CError("a comparison or logical operator used as a number is not supported")
    return e


@v_args(inline=True)
class _ToProgram(Transformer[Token, Any]):
    """Parse tree → program pieces. Block structure is kept as nested lists; ``_assemble`` flattens it."""

    def int_lit(self, tok: Token) -> Expr:
        return Const(int(tok))

    def var(self, tok: Token) -> Expr:
        return Var(str(tok))

    def unknown(self) -> Expr:
        return Unknown("Int")

    def neg(self, e: Expr) -> Expr:
        return Neg(_as_int(e))

    def not_(self, e: Expr) -> Expr:
        return Not(_as_bool(e))

    def and_(self, a: Expr, b: Expr) -> Expr:
        return Logic("and", _as_bool(a), _as_bool(b))

    def or_(self, a: Expr, b: Expr) -> Expr:
        return Logic("or", _as_bool(a), _as_bool(b))

    def compare(self, a: Expr, op: Token, b: Expr) -> Expr:
        return Compare(str(op), _as_int(a), _as_int(b))  # type: ignore[arg-type]

    def arith(self, a: Expr, op: Token, b: Expr) -> Expr:
        c_op = {"+": "+", "-": "-", "*": "*", "/": "c/", "%": "c%"}[str(op)]
        return Arith(c_op, _as_int(a), _as_int(b))  # type: ignore[arg-type]

    def assign(self, name: Token, op: Token, value: Expr) -> Stmt:
        if str(op) == "=":
            return Assign(str(name), value)
        c_op = {"+=": "+", "-=": "-", "*=": "*", "/=": "c/", "%=": "c%"}[str(op)]
        return Assign(str(name), Arith(c_op, Var(str(name)), _as_int(value)))  # type: ignore[arg-type]

    def postfix(self, name: Token, op: Token) -> Stmt:
        return Assign(str(name), Arith("+" if str(op) == "++" else "-", Var(str(name)), Const(1)))

    def prefix(self, op: Token, name: Token) -> Stmt:
        return self.postfix(name, op)

    def if_stmt(self, cond: Expr, then: Any, orelse: Any = None) -> Any:
        return ("if", _as_bool(cond), then, orelse)

    def while_stmt(self, cond: Expr, body: Any) -> Any:
        return ("while", _as_bool(cond), body)

    def assume_stmt(self, cond: Expr) -> Stmt:
        return Assume(_as_bool(cond))

    @v_args(inline=True, meta=True)
    def assert_stmt(self, meta: Any, cond: Expr) -> Stmt:
        return Assert(_as_bool(cond), line=getattr(meta, "line", None))

    def return_stmt(self, value: Expr | None = None) -> Any:
        return ("return",)

    def empty_stmt(self) -> Any:
        return ("empty",)

    def int_type(self) -> Sort:
        return "Int"

    def unsigned_type(self) -> Any:
        return "Unsigned"

    def declarator(self, name: Token, value: Expr | None = None) -> Any:
        return (str(name), value)

    def declaration(self, sort: str, *declarators: Any) -> Any:
        return ("decl", sort, declarators)

    def block(self, *items: Any) -> Any:
        return ("block", list(items))

    def start(self, body: Any) -> Any:
        return body


class _Assembler:
    """Splits ``main`` into before / loop / after and turns declarations into statements."""

    def __init__(self) -> None:
        self.declarations: dict[str, Sort] = {}

    def statements(self, items: list[Any], *, inside_loop: bool) -> list[Stmt | tuple[Any, ...]]:
        out: list[Stmt | tuple[Any, ...]] = []
        for item in items:
            out.extend(self._item(item, inside_loop=inside_loop))
        return out

    def _item(self, item: Any, *, inside_loop: bool) -> list[Stmt | tuple[Any, ...]]:
        if not isinstance(item, tuple):
            return [item]
        tag = item[0]
        if tag == "decl":
            return self._declaration(item[1], item[2], inside_loop=inside_loop)
        if tag == "block":
            return self.statements(item[1], inside_loop=inside_loop)
        if tag == "if":
            then = self._only_statements(self._item(item[2], inside_loop=inside_loop))
            orelse = self._only_statements(self._item(item[3], inside_loop=inside_loop)) if item[3] else []
            return [If(item[1], tuple(then), tuple(orelse))]
        if tag == "while":
            if inside_loop:
                raise _CError("nested loops are not supported: the program must have exactly one loop")
            body = self._only_statements(self._item(item[2], inside_loop=True))
            return [("while", item[1], tuple(body))]
        if tag in ("empty", "return"):
            return []
        raise AssertionError(f"unexpected item {item!r}")

    def _declaration(self, sort: str, declarators: Any, *, inside_loop: bool) -> list[Stmt | tuple[Any, ...]]:
        out: list[Stmt | tuple[Any, ...]] = []
        for name, value in declarators:
            if name in self.declarations:
                raise _CError(f"variable {name!r} is declared twice")
            self.declarations[name] = "Int"
            if value is not None:
                out.append(Assign(name, _as_int(value)))
            elif inside_loop:
                out.append(Havoc(name))
            if sort == "Unsigned":
                out.append(Assume(Compare(">=", Var(name), Const(0))))
        return out

    def _only_statements(self, items: list[Stmt | tuple[Any, ...]]) -> list[Stmt]:
        stmts: list[Stmt] = []
        for s in items:
            if isinstance(s, tuple):
                raise _CError("a loop inside an if is not supported: the program must have exactly one loop")
            stmts.append(s)
        return stmts


def parse_c_program(text: str, where: str = "<string>") -> LoopProgram:
    """Parse a Code2Inv-style C program. Raises ``DataFileError`` naming ``where`` and the line."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        context = exc.get_context(text).rstrip()
        raise file_error(
            where,
            exc.line,
            "not in the supported C subset (declarations, assignments, "
            f"if/else, one while loop, assume, assert, unknown()):\n{context}",
            exc.column,
        ) from None
    try:
        body = _ToProgram().transform(tree)
        assembler = _Assembler()
        items = assembler.statements(body[1], inside_loop=False)
        loops = [i for i, s in enumerate(items) if isinstance(s, tuple)]
        if len(loops) != 1:
            raise _CError(f"expected exactly one while loop in main, found {len(loops)}")
        k = loops[0]
        before = assembler._only_statements(items[:k])
        after = assembler._only_statements(items[k + 1 :])
        found = items[k]
        assert isinstance(found, tuple)
        _, cond, loop_body = found
        loop = While(cond, loop_body)
        _check_names(assembler.declarations, before, loop, after)
    except _CError as exc:
        raise file_error(where, exc.line or None, str(exc)) from None
    except Exception as exc:  # lark wraps transformer errors in VisitError
        inner = getattr(exc, "orig_exc", exc)
        if isinstance(inner, _CError):
            raise file_error(where, inner.line or None, str(inner)) from None
        raise
    variables = tuple(Declaration(n, s) for n, s in assembler.declarations.items())
    return LoopProgram(variables, tuple(before), loop, tuple(after), program_constants(before, loop, after))


def _check_names(declared: dict[str, Sort], before: list[Stmt], loop: While, after: list[Stmt]) -> None:
    def names(e: Expr) -> set[str]:
        match e:
            case Var(name=n):
                return {n}
            case Neg(operand=o) | Not(operand=o):
                return names(o)
            case Arith(left=a, right=b) | Compare(left=a, right=b) | Logic(left=a, right=b):
                return names(a) | names(b)
            case Ite(cond=c, then=t, orelse=o):
                return names(c) | names(t) | names(o)
        return set()

    def walk(stmts: tuple[Stmt, ...] | list[Stmt]) -> set[str]:
        used: set[str] = set()
        for s in stmts:
            match s:
                case Assign(target=t, value=e):
                    used |= {t} | names(e)
                case Havoc(target=t):
                    used.add(t)
                case If(cond=c, then=a, orelse=b):
                    used |= names(c) | walk(a) | walk(b)
                case Assume(cond=c) | Assert(cond=c):
                    used |= names(c)
        return used

    used = walk(before) | names(loop.cond) | walk(loop.body) | walk(after)
    undeclared = sorted(used - set(declared))
    if undeclared:
        raise _CError(f"undeclared variable(s): {', '.join(undeclared)}")


def load_c(path: str | Path) -> LoopProblem:
    """Load a Code2Inv C program file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise file_error(path, None, f"cannot read the file ({exc.strerror})") from exc
    program = parse_c_program(text, str(path))
    return problem_from_program(program, name=path.name, kind="c", source=path)
