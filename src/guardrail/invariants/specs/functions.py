"""The functions of a Python file, read with ``ast`` (never imported or run here), and what a spec of each
can talk about.

A spec's conditions range over ``int`` and ``bool`` values: ``SpecSignature.of`` says which variables a
spec of a function may mention (its parameters, and ``result`` in the postcondition) or why the function
is outside that subset ("parameter xs is list[int]; specs cover int and bool parameters").
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import DataFileError
from ..problems.problem import Variable
from ..problems.values import Sort

RESULT = "result"
_SORTS: dict[str, Sort] = {"int": "Int", "bool": "Bool"}


@dataclass(frozen=True)
class PythonFunction:
    """One top-level function of a file: its name, where it starts, its source and its ``ast`` node."""

    name: str
    line: int
    source: str
    node: ast.FunctionDef | ast.AsyncFunctionDef = field(compare=False, repr=False)

    @property
    def annotated(self) -> bool:
        """Every parameter and the return value carry an annotation."""
        args = self.node.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        every += [a for a in (args.vararg, args.kwarg) if a is not None]
        return self.node.returns is not None and all(a.annotation is not None for a in every)


@dataclass(frozen=True)
class PythonFile:
    """A file's text and its top-level functions, in order."""

    path: Path
    text: str
    functions: tuple[PythonFunction, ...]


def read_functions(path: str | Path) -> PythonFile:
    """The top-level functions of ``path``. Not valid Python → ``DataFileError`` with the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path}: cannot read the file ({exc})", path=path) from None
    return parse_functions(text, path)


def parse_functions(text: str, where: str | Path = "<string>") -> PythonFile:
    try:
        tree = ast.parse(text, filename=str(where))
    except SyntaxError as exc:
        column = f":{exc.offset}" if exc.offset else ""
        raise DataFileError(
            f"{where}:{exc.lineno}{column}: not valid Python: {exc.msg}", path=where, line=exc.lineno
        ) from None
    lines = text.splitlines()
    functions = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            last = node.end_lineno or node.lineno
            source = "\n".join(lines[first - 1 : last]) + "\n"
            functions.append(PythonFunction(node.name, node.lineno, source, node))
    return PythonFile(Path(where), text, tuple(functions))


@dataclass(frozen=True)
class SpecSignature:
    """The variables a spec may mention: ``params`` in both conditions, ``result`` in the postcondition."""

    params: tuple[Variable, ...]
    result: Variable

    @classmethod
    def of(cls, node: ast.FunctionDef | ast.AsyncFunctionDef) -> SpecSignature | str:
        """The signature, or the reason the function is outside what specs can say (a sentence)."""
        if isinstance(node, ast.AsyncFunctionDef):
            return "async functions are not supported"
        args = node.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            return "only plain positional parameters are supported (no *args, **kwargs, / or *)"
        params: list[Variable] = []
        for a in args.args:
            if a.arg == RESULT:
                return f"a parameter is named {RESULT!r}, which specs use for the returned value"
            sort = _sort(a.annotation)
            if sort is None:
                shown = "no annotation" if a.annotation is None else f"type {ast.unparse(a.annotation)}"
                return f"parameter {a.arg} has {shown}; specs cover int and bool parameters"
            params.append(Variable(a.arg, sort))
        returns = _sort(node.returns)
        if returns is None:
            shown = "no return annotation" if node.returns is None else f"returns {ast.unparse(node.returns)}"
            return f"the function has {shown}; specs cover functions returning int or bool"
        return cls(tuple(params), Variable(RESULT, returns))

    def names(self) -> list[str]:
        return [p.name for p in self.params]


def _sort(annotation: ast.expr | None) -> Sort | None:
    if isinstance(annotation, ast.Name):
        return _SORTS.get(annotation.id)
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return _SORTS.get(annotation.value.strip())
    return None


def with_header(function: PythonFunction, header: str) -> ast.FunctionDef | None:
    """``function``'s node with the annotations of ``header`` (a ``def ...:`` line), or None."""
    try:
        parsed = ast.parse(header.strip() + "\n    ...\n")
    except SyntaxError:
        return None
    found = parsed.body[0] if parsed.body else None
    if not isinstance(found, ast.FunctionDef) or not isinstance(function.node, ast.FunctionDef):
        return None
    node = function.node
    copy = ast.FunctionDef(
        name=node.name,
        args=found.args,
        body=node.body,
        decorator_list=node.decorator_list,
        returns=found.returns,
        type_comment=None,
        lineno=node.lineno,
        col_offset=node.col_offset,
        end_lineno=node.end_lineno,
        end_col_offset=node.end_col_offset,
    )
    if hasattr(node, "type_params"):  # Python 3.12+
        copy.type_params = node.type_params  # type: ignore[attr-defined,unused-ignore]
    return copy
