"""Type annotations suggested by a model, accepted only when mypy passes on the annotated function.

The model answers with a ``def`` header (``def f(xs: list[int], k: int) -> int:``). The header is parsed
with ``ast`` (never run) and must keep the function's name, parameters, kinds and defaults: only
annotations may change. It is then put, as text, in place of the original header in a copy of the
function's source, and mypy (``--strict``, in a subprocess, on a temporary file, with no configuration
file and so no plugins) type-checks the copy. mypy's errors become the feedback.

Rejections are coded ``annotation.too_long``, ``annotation.format`` (not one ``def`` header),
``annotation.parse``, ``annotation.signature`` (more than annotations changed) and ``annotation.mypy``.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import subprocess
import sys
import tempfile
import textwrap
import tokenize
from dataclasses import dataclass, replace
from pathlib import Path

from ..._text import clip
from ...checks.base import Check, ErrorDetail, Verdict, too_long
from ...errors import ConfigurationError

CHECK_NAME = "annotations"
MAX_HEADER_CHARS = 2000
#: mypy's cache of the standard library's stubs, kept across checks (it makes a check take ~1 s, not ~5 s).
_MYPY_CACHE = Path(tempfile.gettempdir()) / "guardrail-mypy-cache"


@dataclass(frozen=True)
class Annotated:
    """An accepted annotation: the new header and the full annotated source mypy passed."""

    header: str
    source: str


def _function(source: str, name: str | None = None) -> ast.FunctionDef:
    """The one function of ``source``, or its top-level function ``name``."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ConfigurationError(
            f"the function source does not parse (line {exc.lineno}): {exc.msg}"
        ) from None
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and name in (None, n.name)]
    if len(funcs) != 1:
        wanted = f"a function named {name}" if name else "exactly one function (def ...)"
        raise ConfigurationError(f"give the source of {wanted}")
    func = funcs[0]
    if func.body[0].lineno == func.lineno:
        raise ConfigurationError(
            "put the function body on its own lines (one-line functions are not supported)"
        )
    return func


def _shape(func: ast.FunctionDef) -> str:
    """Everything about the signature except annotations (decorators are not part of a header)."""
    args = func.args
    kinds = [
        [a.arg for a in args.posonlyargs],
        [a.arg for a in args.args],
        [args.vararg.arg] if args.vararg else [],
        [a.arg for a in args.kwonlyargs],
        [args.kwarg.arg] if args.kwarg else [],
    ]
    defaults = [ast.dump(d) for d in args.defaults] + [ast.dump(d) if d else "" for d in args.kw_defaults]
    return repr((func.name, kinds, defaults))


class AnnotationCheck(Check):
    """Accepts a model's annotated ``def`` header for ``source`` when mypy --strict passes on the result.

    ``source`` is one function's source, or — with ``function`` naming one of its top-level functions — a
    whole module: then mypy checks the module (so the function's imports and helpers are known), calls to
    unannotated helpers are allowed, and only mypy's errors inside the function count.
    """

    name = CHECK_NAME

    def __init__(
        self,
        source: str,
        *,
        function: str | None = None,
        timeout_s: float = 120.0,
        mypy_args: tuple[str, ...] = ("--strict",),
    ):
        if importlib.util.find_spec("mypy") is None:
            raise ConfigurationError(
                "checking annotations needs mypy; install it with: pip install 'guardrail[specs]'"
            )
        self.source = textwrap.dedent(source)
        self.function = _function(self.source, function)
        self.module = function is not None
        self.timeout_s = timeout_s
        self.mypy_args = (*mypy_args, "--allow-untyped-calls") if self.module else mypy_args

    def check(self, value: object) -> Verdict:
        text = str(value).strip()
        long = too_long(self.name, text, MAX_HEADER_CHARS)
        if long is not None:
            return Verdict.reject(*(replace(e, code="annotation.too_long") for e in long.errors))
        header = _header_only(text)
        if header is None:
            return _reject(
                "format",
                "the answer is not one def header",
                f"Answer with the annotated header only, e.g. def {self.function.name}(x: int) -> int:",
            )
        try:
            proposed = _function(header + "\n    ...\n")
        except ConfigurationError as exc:
            return _reject(
                "parse", f"the header does not parse: {exc}", f"Your header does not parse as Python: {exc}."
            )
        if _shape(proposed) != _shape(self.function):
            return _reject(
                "signature",
                "the header changes the name, parameters, defaults or decorators",
                f"Keep the name, parameters and defaults of {self.function.name}; only add annotations.",
            )
        annotated = self._insert(header)
        errors = self._mypy(annotated)
        if errors is not None and self.module:
            first, last = self._span(header)
            errors = [(line, e) for line, e in errors if line is None or first <= line <= last]
            errors = errors or None
        if errors is None:
            return Verdict.accept(Annotated(header, annotated))
        if not errors:
            return _reject(
                "mypy", "mypy failed without reporting an error", "mypy could not check the function."
            )
        return Verdict.reject(
            *(
                ErrorDetail(
                    check=self.name,
                    message=f"mypy: {e}",
                    feedback=f"mypy: {e}",
                    line=line,
                    code="annotation.mypy",
                )
                for line, e in errors[:5]
            )
        )

    def _span(self, header: str) -> tuple[int, int]:
        """The first and last line of the function in the annotated source (the header is one line)."""
        header_end = _header_end(self.source, self.function)
        end = self.function.end_lineno or self.function.lineno
        return self.function.lineno, self.function.lineno + (end - 1 - header_end)

    def _insert(self, header: str) -> str:
        return _with_header(self.source, self.function, header)

    def _mypy(self, source: str) -> list[tuple[int | None, str]] | None:
        """None when mypy passes; otherwise its error lines (line number, text)."""
        with tempfile.TemporaryDirectory(prefix="guardrail-mypy-") as folder:
            path = Path(folder) / "annotated.py"
            path.write_text(source, encoding="utf-8")
            command = [
                sys.executable, "-m", "mypy", "--config-file", "", "--no-error-summary", "--no-color-output",
                "--show-column-numbers", "--cache-dir", str(_MYPY_CACHE), *self.mypy_args, str(path),
            ]  # fmt: skip
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=self.timeout_s, cwd=folder
                )
            except subprocess.TimeoutExpired:
                return [(None, f"mypy did not finish within {self.timeout_s:.0f} s")]
        if done.returncode == 0:
            return None
        errors: list[tuple[int | None, str]] = []
        for line in done.stdout.splitlines():
            parts = line.split(":", 3)
            if len(parts) == 4 and parts[1].strip().isdigit() and "error" in parts[3]:
                where = "file" if self.module else "function"
                errors.append(
                    (int(parts[1]), f"line {parts[1]} of the annotated {where}: {parts[3].strip()}")
                )
        return errors or [
            (None, clip((done.stdout + done.stderr).strip(), 300) or f"exit status {done.returncode}")
        ]


def replace_header(source: str, header: str, function: str | None = None) -> str:
    """``source`` with the ``def`` header of its function (or of its top-level ``function``) replaced by
    ``header``, which is text: it is put in as written, never run."""
    return _with_header(textwrap.dedent(source), _function(textwrap.dedent(source), function), header)


def _with_header(source: str, func: ast.FunctionDef, header: str) -> str:
    lines = source.splitlines()
    start = func.lineno - 1
    end = _header_end(source, func)
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    return "\n".join([*lines[:start], indent + header, *lines[end + 1 :]]) + "\n"


def _header_end(source: str, func: ast.FunctionDef) -> int:
    """Index of the line with the colon that ends ``func``'s header (found by the tokenizer)."""
    depth = 0
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.start[0] < func.lineno or token.type != tokenize.OP:
            continue
        if token.string in "([{":
            depth += 1
        elif token.string in ")]}":
            depth -= 1
        elif token.string == ":" and depth == 0:
            return token.start[0] - 1
    raise ConfigurationError(f"cannot find the end of the header of {func.name}")


def _header_only(text: str) -> str | None:
    """The ``def ...:`` header in the answer (possibly inside a code fence), or None."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("```")]
    if not lines or not lines[0].lstrip().startswith("def "):
        return None
    header: list[str] = []
    for line in lines:
        header.append(line.strip())
        if line.rstrip().endswith(":"):
            return " ".join(header)
    return None


def _reject(kind: str, message: str, feedback: str) -> Verdict:
    return Verdict.reject(
        ErrorDetail(check=CHECK_NAME, message=message, feedback=feedback, code=f"annotation.{kind}")
    )


def check_annotations(
    source: str, answer: str, *, function: str | None = None, timeout_s: float = 120.0
) -> Verdict:
    """Shorthand for ``AnnotationCheck(source, function=function).check(answer)``."""
    return AnnotationCheck(source, function=function, timeout_s=timeout_s).check(answer)
