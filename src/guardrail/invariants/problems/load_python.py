"""Read loops written in a Python subset, with Python's own ``ast`` parser (the code is never run).

The file holds either top-level statements or one function whose parameters are the inputs::

    def count(n: int):
        assume(n >= 0)
        x, y = n, 0          # not supported: write x = n and y = 0
        ...

Supported: annotated declarations (``x: int``), assignments to one name, ``+=``-style updates,
``if``/``elif``/``else``, exactly one top-level ``while``, ``assert``, ``assume(cond)``, ``pass`` and
``unknown()`` for a nondeterministic value; expressions over ints and bools with ``+ - * // %``,
comparisons (chained too), ``and``/``or``/``not`` and ``a if c else b``.
"""

from __future__ import annotations

import ast
from pathlib import Path

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
    expr_sort,
    program_constants,
)
from .symbolic import problem_from_program
from .values import Sort

_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%"}
_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_SORTS: dict[str, Sort] = {"int": "Int", "bool": "Bool"}


class SubsetError(Exception):
    def __init__(self, node: ast.AST | None, message: str):
        super().__init__(message)
        self.line = getattr(node, "lineno", None)
        self.column = getattr(node, "col_offset", None)


class SubsetReader:
    def __init__(self) -> None:
        self.sorts: dict[str, Sort] = {}
        self.order: list[str] = []

    # --- declarations ---------------------------------------------------------------------------------
    def declare(self, name: str, sort: Sort, node: ast.AST) -> None:
        if name in self.sorts and self.sorts[name] != sort:
            raise SubsetError(node, f"{name} is used both as {self.sorts[name].lower()} and {sort.lower()}")
        if name not in self.sorts:
            self.sorts[name] = sort
            self.order.append(name)

    def annotation(self, node: ast.expr | None, where: ast.AST) -> Sort:
        if isinstance(node, ast.Name) and node.id in _SORTS:
            return _SORTS[node.id]
        raise SubsetError(where, "annotate variables as int or bool")

    # --- statements -----------------------------------------------------------------------------------
    def block(self, stmts: list[ast.stmt], *, top: bool) -> list[Stmt | While]:
        out: list[Stmt | While] = []
        for s in stmts:
            out.extend(self.statement(s, top=top))
        return out

    def statement(self, s: ast.stmt, *, top: bool) -> list[Stmt | While]:
        if isinstance(s, ast.AnnAssign):
            if not isinstance(s.target, ast.Name):
                raise SubsetError(s, "only simple names can be declared")
            sort = self.annotation(s.annotation, s)
            self.declare(s.target.id, sort, s)
            if s.value is None:
                return []
            return [Assign(s.target.id, self.typed(s.value, sort))]
        if isinstance(s, ast.Assign):
            if len(s.targets) != 1 or not isinstance(s.targets[0], ast.Name):
                raise SubsetError(
                    s, "assign to one name at a time (x = ...); tuple assignment is not supported"
                )
            value = self.expr(s.value)
            name = s.targets[0].id
            self.declare(name, expr_sort(value, self.sorts), s)
            return [Assign(name, self.typed_expr(value, self.sorts[name], s.value))]
        if isinstance(s, ast.AugAssign):
            if not isinstance(s.target, ast.Name) or type(s.op) not in _ARITH:
                raise SubsetError(s, "only x += e, -=, *=, //= and %= updates of a name are supported")
            name = s.target.id
            if self.sorts.get(name) != "Int":
                raise SubsetError(s, f"{name} must be an int variable assigned before it is updated")
            op = _ARITH[type(s.op)]
            return [Assign(name, Arith(op, Var(name), self.typed(s.value, "Int")))]  # type: ignore[arg-type]
        if isinstance(s, ast.If):
            then = self.only_statements(self.block(s.body, top=False), s)
            orelse = self.only_statements(self.block(s.orelse, top=False), s)
            return [If(self.condition(s.test), tuple(then), tuple(orelse))]
        if isinstance(s, ast.While):
            if not top:
                raise SubsetError(s, "the loop must be at the top level: nested loops are not supported")
            if s.orelse:
                raise SubsetError(s, "while ... else is not supported")
            body = self.only_statements(self.block(s.body, top=False), s)
            return [While(self.condition(s.test), tuple(body))]
        if isinstance(s, ast.Assert):
            return [Assert(self.condition(s.test), line=s.lineno)]
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and _called(s.value) == "assume":
            if len(s.value.args) != 1 or s.value.keywords:
                raise SubsetError(s, "assume takes exactly one condition")
            return [Assume(self.condition(s.value.args[0]))]
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str):
            return []  # a docstring
        if isinstance(s, ast.Pass):
            return []
        raise SubsetError(s, f"{type(s).__name__} statements are not supported in loop programs")

    def only_statements(self, items: list[Stmt | While], node: ast.AST) -> list[Stmt]:
        out: list[Stmt] = []
        for i in items:
            if isinstance(i, While):
                raise SubsetError(
                    node, "a loop inside an if is not supported: write exactly one top-level loop"
                )
            out.append(i)
        return out

    # --- expressions ----------------------------------------------------------------------------------
    def condition(self, node: ast.expr) -> Expr:
        e = self.expr(node, want="Bool")
        return e if expr_sort(e, self.sorts) == "Bool" else Compare("!=", e, Const(0))

    def typed(self, node: ast.expr, sort: Sort) -> Expr:
        return self.typed_expr(self.expr(node, want=sort), sort, node)

    def typed_expr(self, e: Expr, sort: Sort, node: ast.AST) -> Expr:
        got = expr_sort(e, self.sorts)
        if got != sort:
            raise SubsetError(node, f"expected an {sort.lower()} expression, found {got.lower()}")
        return e

    def expr(self, node: ast.expr, want: Sort = "Int") -> Expr:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool | int):
                return Const(node.value)
            raise SubsetError(node, f"constant {node.value!r} is not an int or bool")
        if isinstance(node, ast.Name):
            if node.id not in self.sorts:
                raise SubsetError(node, f"{node.id} is used before it is declared or assigned")
            return Var(node.id)
        if isinstance(node, ast.Call) and _called(node) == "unknown":
            if node.args or node.keywords:
                raise SubsetError(node, "unknown() takes no arguments")
            return Unknown(want)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return Not(self.condition(node.operand))
            if isinstance(node.op, ast.USub):
                return Neg(self.typed(node.operand, "Int"))
            if isinstance(node.op, ast.UAdd):
                return self.typed(node.operand, "Int")
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Div):
                raise SubsetError(node, "/ is true division; use // for integer division")
            if type(node.op) in _ARITH:
                op = _ARITH[type(node.op)]
                return Arith(op, self.typed(node.left, "Int"), self.typed(node.right, "Int"))  # type: ignore[arg-type]
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            parts = [self.condition(v) for v in node.values]
            out = parts[0]
            for p in parts[1:]:
                out = Logic(op, out, p)  # type: ignore[arg-type]
            return out
        if isinstance(node, ast.Compare):
            operands = [self.expr(node.left), *(self.expr(c) for c in node.comparators)]
            comparisons: list[Expr] = []
            for op_node, left, right in zip(node.ops, operands, operands[1:], strict=False):
                if type(op_node) not in _COMPARE:
                    raise SubsetError(node, f"comparison {type(op_node).__name__} is not supported")
                op = _COMPARE[type(op_node)]
                sorts = {expr_sort(left, self.sorts), expr_sort(right, self.sorts)}
                if len(sorts) != 1 or (op not in ("==", "!=") and sorts != {"Int"}):
                    raise SubsetError(node, f"cannot compare {' and '.join(sorted(sorts)).lower()} with {op}")
                comparisons.append(Compare(op, left, right))  # type: ignore[arg-type]
            result = comparisons[0]
            for p in comparisons[1:]:
                result = Logic("and", result, p)
            return result
        if isinstance(node, ast.IfExp):
            then, orelse = self.expr(node.body, want), self.expr(node.orelse, want)
            if expr_sort(then, self.sorts) != expr_sort(orelse, self.sorts):
                raise SubsetError(node, "both branches of a conditional expression must have the same type")
            return Ite(self.condition(node.test), then, orelse)
        raise SubsetError(node, f"{type(node).__name__} expressions are not supported in loop programs")


def _called(call: ast.Call) -> str | None:
    return call.func.id if isinstance(call.func, ast.Name) else None


def parse_python_program(text: str, where: str = "<string>") -> LoopProgram:
    try:
        module = ast.parse(text, filename=where)
    except SyntaxError as exc:
        raise file_error(where, exc.lineno, f"not valid Python: {exc.msg}", exc.offset) from None
    reader = SubsetReader()
    try:
        body = module.body
        defs = [s for s in body if isinstance(s, ast.FunctionDef)]
        if defs:
            if len(body) != 1:
                raise SubsetError(
                    defs[0], "put either one function or top-level statements in the file, not both"
                )
            func = defs[0]
            for arg in func.args.args:
                reader.declare(arg.arg, reader.annotation(arg.annotation, arg), arg)
            body = func.body
        items = reader.block(body, top=True)
        loops = [i for i, s in enumerate(items) if isinstance(s, While)]
        if len(loops) != 1:
            raise SubsetError(None, f"expected exactly one while loop, found {len(loops)}")
        k = loops[0]
        loop = items[k]
        assert isinstance(loop, While)
        before = reader.only_statements(items[:k], module)
        after = reader.only_statements(items[k + 1 :], module)
    except SubsetError as exc:
        column = (exc.column or 0) + 1 if exc.line is not None else None
        raise file_error(where, exc.line, str(exc), column) from None
    variables = tuple(Declaration(n, reader.sorts[n]) for n in reader.order)
    return LoopProgram(variables, tuple(before), loop, tuple(after), program_constants(before, loop, after))


def load_python(path: str | Path) -> LoopProblem:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise file_error(path, None, f"cannot read the file ({exc.strerror})") from exc
    program = parse_python_program(text, str(path))
    return problem_from_program(program, name=path.name, kind="python", source=path)
