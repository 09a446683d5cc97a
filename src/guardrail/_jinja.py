"""The Jinja2 environment every prompt template runs in: sandboxed, bounded, and confined to its folders.

Template *source* comes from space and study files, which people share; it must not be able to read files,
exhaust the machine or crash guardrail. Jinja's ``SandboxedEnvironment`` already refuses Python internals
(``__class__``, ``__mro__``, ...) and bounds ``range``. On top of it, ``BoundedEnvironment``:

* never folds constants while compiling (``{{ 'a' * 10**9 }}`` used to be computed by the compiler);
* checks the size of what ``*``, ``**``, ``+`` and ``%`` would build *before* building it, and the size of
  what filters and method calls return (``center``, ``ljust``, ``replace``, ``format`` widths are checked
  from their arguments first);
* counts loop iterations (every ``{% for %}`` iterable is wrapped) and watches a deadline;
* measures values before they are turned into text (a list shared a thousand times inside itself prints as
  a tree of billions), and the length of the output as it is produced.

Every refusal is a ``TemplateLimitError`` (a Jinja ``SecurityError``) raised inside the render;
``guardrail.prompt.Template`` turns it and any other failure into a ``TemplateError`` naming the template.
The checks cost little per render: they run at operators, calls, loop steps and output chunks only.

``ConfinedLoader`` is what ``{% include %}``, ``{% extends %}`` and ``{% import %}`` read through: only
files inside the template's roots (see ``guardrail.resources.confined_file``).
"""

from __future__ import annotations

import contextvars
import re
import string
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, Environment, StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

from .resources import confined_file


@dataclass(frozen=True)
class TemplateLimits:
    """What one render may do. The defaults are far above any real prompt (4 million characters is about a
    million tokens) and far below what hurts the machine."""

    #: Characters of template source (a file or an inline string).
    max_source_chars: int = 1_000_000
    #: Characters of rendered output.
    max_output_chars: int = 4_000_000
    #: Characters of any string, and items of any list, the template builds (or prints, expanded).
    max_value_size: int = 4_000_000
    #: Bits of any integer the template computes.
    max_int_bits: int = 100_000
    #: Loop iterations, over all loops of the render.
    max_iterations: int = 1_000_000
    #: Wall-clock seconds for one render.
    seconds: float = 5.0


DEFAULT_LIMITS = TemplateLimits()


class TemplateLimitError(SecurityError):
    """A template went past one of its ``TemplateLimits``."""


class _Budget:
    """The running account of one render."""

    __slots__ = ("deadline", "iterations", "limits")

    def __init__(self, limits: TemplateLimits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.iterations = 0

    def tick(self) -> None:
        self.iterations += 1
        if self.iterations > self.limits.max_iterations:
            raise TemplateLimitError(
                f"the template ran more than {self.limits.max_iterations:,} loop iterations"
            )
        if not self.iterations & 0xFF:
            self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(f"the template took longer than {self.limits.seconds:g} s to render")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("guardrail_template_budget")


def _budget() -> _Budget | None:
    return _BUDGET.get(None)


def render_bounded(chunks: Iterator[str], limits: TemplateLimits) -> str:
    """Join the output ``chunks`` of a render (a Jinja ``generate()``), enforcing ``limits`` meanwhile."""
    budget = _Budget(limits)
    token = _BUDGET.set(budget)
    try:
        parts: list[str] = []
        length, most = 0, limits.max_output_chars
        for chunk in chunks:
            length += len(chunk)
            if length > most:
                raise TemplateLimitError(f"the template's output is longer than {most:,} characters")
            parts.append(chunk)
            if not len(parts) & 0x3F:
                budget.check_time()
        budget.check_time()
        return "".join(parts)
    finally:
        _BUDGET.reset(token)


# --- sizes ----------------------------------------------------------------------------------------------


_CONTAINERS = (list, tuple, dict, set, frozenset)
_SIZED = (str, bytes, *_CONTAINERS)


def _size(value: Any, limit: int) -> int:
    """How big ``value`` is once printed or serialised: characters of a string, items of a container
    counted through every reference (a sub-list shared a hundred times counts a hundred times), or
    ``limit + 1`` once it is certain to be larger. Each distinct container is measured once, so this
    costs the number of distinct objects, not the (possibly exponential) printed size."""
    if isinstance(value, str | bytes):
        return len(value)
    if not isinstance(value, _CONTAINERS):
        return 1
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        item, done = stack.pop()
        key = id(item)
        children = _members(item)
        if done:
            on_path.discard(key)
            total = 1
            for child in children:
                total += sizes[id(child)] if isinstance(child, _CONTAINERS) else _leaf(child)
                if total > limit:
                    return limit + 1
            sizes[key] = total
            continue
        if key in sizes:
            continue
        on_path.add(key)
        stack.append((item, True))
        for child in children:
            if isinstance(child, _CONTAINERS):
                if id(child) in on_path:
                    return limit + 1  # contains itself: printing it never ends
                if id(child) not in sizes:
                    stack.append((child, False))
        if len(stack) > limit:
            return limit + 1
    return sizes[id(value)]


def _members(item: Any) -> list[Any]:
    if isinstance(item, dict):
        return [x for pair in item.items() for x in pair]
    return list(item)


def _leaf(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes) else 1


def _limits() -> TemplateLimits:
    budget = _budget()
    return budget.limits if budget is not None else DEFAULT_LIMITS


def _check_value(value: Any, what: str) -> None:
    limits = _limits()
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > limits.max_int_bits:
            raise TemplateLimitError(f"{what} is an integer of more than {limits.max_int_bits:,} bits")
        return
    if _size(value, limits.max_value_size) > limits.max_value_size:
        raise TemplateLimitError(f"{what} would be larger than {limits.max_value_size:,} characters or items")


def _check_len(value: Any, what: str) -> None:
    """A value just built (by an operator, a call, a filter): its own length, without walking into it."""
    limits = _limits()
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > limits.max_int_bits:
            raise TemplateLimitError(f"{what} is an integer of more than {limits.max_int_bits:,} bits")
    elif isinstance(value, _SIZED) and len(value) > limits.max_value_size:
        raise TemplateLimitError(f"{what} would be larger than {limits.max_value_size:,} characters or items")


def _check_count(n: Any, what: str) -> None:
    """A width, count or repetition argument: refused beyond the value-size limit."""
    limit = _limits().max_value_size
    if isinstance(n, int) and not isinstance(n, bool) and n > limit:
        raise TemplateLimitError(f"{what} {n:,} is larger than {limit:,}")


_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent_format(fmt: str, args: Any) -> None:
    """``fmt % args``: widths and precisions (written, or ``*`` from ``args``) within the limit."""
    for m in _PERCENT_FIELD.finditer(fmt):
        for group in m.groups():
            if group and group.isdigit():
                _check_count(int(group), "a format width")
            elif group == "*":
                for arg in args if isinstance(args, tuple) else (args,):
                    _check_count(arg, "a format width")


def _check_brace_format(fmt: str) -> None:
    """``fmt.format(...)``: written widths within the limit; widths taken from arguments are refused."""
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format will raise the same error itself
    for _, _, spec, _ in fields:
        if not spec:
            continue
        if "{" in spec:
            raise TemplateLimitError("a format width taken from an argument ({:{}}) is not allowed")
        for digits in re.findall(r"\d+", spec):
            _check_count(int(digits), "a format width")


# --- filters and methods whose cost is known from their arguments --------------------------------------

_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
#: Methods that grow their container by the size of their argument.
_GROWING_METHODS = frozenset({"extend", "update", "__iadd__", "union", "__or__"})


def _precheck_method(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if isinstance(owner, list | dict | set) and name in _GROWING_METHODS:
        grow = sum(len(a) if isinstance(a, _SIZED) else 1 for a in args)
        _check_count(len(owner) + grow + len(kwargs), f"the result of {name}()")
    if isinstance(owner, str | list | bytes):
        if name in _WIDTH_METHODS:
            for arg in (*args, *kwargs.values()):
                _check_count(arg, f"the width of {name}()")
        elif name == "replace" and isinstance(owner, str) and len(args) >= 2:
            old, new = args[0], args[1]
            if isinstance(old, str) and isinstance(new, str):
                count = owner.count(old) if old else len(owner) + 1
                if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
                    count = min(count, args[2])
                _check_count(len(owner) + count * max(0, len(new) - len(old)), "the result of replace()")
        elif name == "join" and isinstance(owner, str) and args:
            parts = args[0]
            if isinstance(parts, list | tuple):
                _check_count(
                    sum(_size(p, _limits().max_value_size) for p in parts) + len(owner) * len(parts),
                    "the result of join()",
                )


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` (a Jinja filter) with its arguments checked first and its result measured after."""

    passes_first = getattr(func, "jinja_pass_arg", None) is not None

    @wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        if budget is not None:
            budget.check_time()
        # Filters decorated with pass_context/pass_environment get that first; the value comes next.
        values = args[1:] if passes_first else args
        if name in ("center", "indent", "wordwrap", "truncate"):
            for arg in (*values[1:], *kwargs.values()):
                _check_count(arg, f"an argument of the {name} filter")
        elif name == "format" and values and isinstance(values[0], str):
            _check_percent_format(values[0], tuple(values[1:]) or tuple(kwargs.values()))
            for arg in values[1:]:
                _check_value(arg, "an argument of the format filter")
        elif name == "replace" and len(values) >= 3:
            _precheck_method(str(values[0]).replace, tuple(values[1:]), {})
        elif name in ("join", "string", "tojson", "pprint", "list", "e", "escape", "urlencode") and values:
            _check_value(values[0], f"the input of the {name} filter")
        result = func(*args, **kwargs)
        _check_len(result, f"the result of the {name} filter")
        return result

    return bounded


def _bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    from jinja2.utils import generate_lorem_ipsum

    _check_count(n * max, "lipsum's length")
    return str(generate_lorem_ipsum(n=n, html=html, min=min, max=max))


def _loop(iterable: Any) -> Iterator[Any]:
    """Every ``{% for %}`` iterates through this: each step is counted against the render's budget."""
    budget = _budget()
    if budget is None:
        yield from iterable
        return
    for item in iterable:
        budget.tick()
        yield item


def _printable(value: Any) -> Any:
    """Every ``{{ ... }}`` and ``~`` operand passes through this before it becomes text."""
    if not isinstance(value, str | int | float | bool) and value is not None:
        _check_value(value, "a printed value")
    return value


def _sized(value: Any) -> Any:
    """The result of every ``~`` passes through this: a string built by the template is measured."""
    _check_len(value, "the result of ~")
    return value


def _ints(*values: Any) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


class _Bound(NodeTransformer):
    """Rewrites a parsed template so that loops and concatenations go through the budget."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_guardrail_loop", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        node.nodes = [
            nodes.Filter(n, "_guardrail_printable", [], [], None, None, lineno=node.lineno)
            for n in node.nodes
        ]
        return nodes.Filter(node, "_guardrail_sized", [], [], None, None, lineno=node.lineno)


class BoundedEnvironment(SandboxedEnvironment):
    """``SandboxedEnvironment`` with the limits described in the module docstring."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, loader: BaseLoader | None = None) -> None:
        # trim/lstrip let block tags sit on their own lines without leaving blank lines in the prompt.
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            loader=loader,
            optimized=False,  # no constant folding: the compiler would compute {{ 'a' * 10**9 }}
            finalize=_printable,
        )
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}
        self.filters["_guardrail_loop"] = _loop
        self.filters["_guardrail_printable"] = _printable
        self.filters["_guardrail_sized"] = _sized
        self.globals["lipsum"] = _bounded_lipsum

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        transformed = _Bound().visit(tree)
        assert isinstance(transformed, nodes.Template)
        return transformed

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = _budget()
        if budget is not None:
            budget.check_time()
        limits = _limits()
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int):
                    _check_count(len(seq) * n, "a repetition (*)")
            bits = left.bit_length() + right.bit_length() if _ints(left, right) else 0
            if bits > limits.max_int_bits:
                raise TemplateLimitError(
                    f"a product of more than {limits.max_int_bits:,} bits (*) is not allowed"
                )
        elif operator == "**":
            bits = abs(left).bit_length() * right if _ints(left, right) and abs(left) > 1 else 0
            if bits > limits.max_int_bits:
                raise TemplateLimitError(
                    f"a power of more than {limits.max_int_bits:,} bits (**) is not allowed"
                )
        elif operator == "+":
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                _check_count(len(left) + len(right), "a concatenation (+)")
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left, right)
            for arg in right if isinstance(right, tuple) else (right,):
                _check_value(arg, "an argument of %")
        result = super().call_binop(context, operator, left, right)
        _check_len(result, f"the result of {operator}")
        return result

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        if budget is not None:
            budget.check_time()
        _precheck_method(__obj, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        _check_len(result, "the result of a call")
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt: str = value.__self__

        @wraps(wrapped)
        def checked(*args: Any, **kwargs: Any) -> str:
            _check_brace_format(fmt)
            for arg in (*args, *kwargs.values()):
                _check_value(arg, "an argument of format()")
            result = wrapped(*args, **kwargs)
            _check_len(result, "the result of format()")
            return result

        return checked


# --- files ----------------------------------------------------------------------------------------------


class ConfinedLoader(BaseLoader):
    """Loads ``{% include %}``/``{% extends %}``/``{% import %}`` targets only from inside ``roots``."""

    def __init__(self, roots: Sequence[Path], max_chars: int = DEFAULT_LIMITS.max_source_chars) -> None:
        self.roots = tuple(roots)
        self.max_chars = max_chars

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = confined_file(template, self.roots, what="template", max_bytes=4 * self.max_chars)
        if path is None:
            raise TemplateNotFound(template)
        source = path.read_text(encoding="utf-8")
        mtime = path.stat().st_mtime
        return source, str(path), lambda: path.stat().st_mtime == mtime

    def list_templates(self) -> list[str]:
        return []
