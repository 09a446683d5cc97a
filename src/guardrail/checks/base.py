"""``Check`` and ``Verdict``: the checker side of "nothing a model writes is used until a checker accepts it".

A check never raises on bad model output: it returns a rejecting ``Verdict`` whose errors say where, what
was expected, and one short sentence the model can act on. Exceptions are only for misuse (a broken
grammar file, a wrong argument).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .._text import show_value

#: Outputs longer than this are rejected outright, so that hostile outputs are judged in bounded time.
DEFAULT_MAX_CHARS = 200_000

PathItem = str | int


@dataclass(frozen=True)
class ErrorDetail:
    """One reason a check rejected an output (cf. pydantic's error details).

    ``feedback`` is a single short sentence written for the model ("Expected a closing ']' at line 3,
    column 7."); ``message`` may be longer and is for people. ``code`` names the kind of error stably
    (``grammar.unexpected_token``, pydantic's ``int_parsing``, ``answer.wrong``): programs compare codes,
    never messages. ``found`` is what the check read where it expected something else (a token, the
    extracted answer), shown briefly.
    """

    check: str
    message: str
    feedback: str
    expected: str | None = None
    line: int | None = None
    column: int | None = None
    offset: int | None = None
    path: tuple[PathItem, ...] | None = None
    code: str = "invalid"
    found: str | None = None

    def location(self) -> str:
        if self.path is not None:
            return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path)
        if self.line is not None:
            return f"line {self.line}, column {self.column}"
        if self.offset is not None:
            return f"offset {self.offset}"
        return ""

    def signature(self) -> str:
        """What identifies this error across attempts: check, code, location and what was found."""
        parts = [self.check, self.code, self.location(), self.found or ""]
        if self.code == "invalid":
            parts.append(self.message)
        return "\x1f".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "code": self.code,
            "message": self.message,
            "feedback": self.feedback,
            "expected": self.expected,
            "line": self.line,
            "column": self.column,
            "offset": self.offset,
            "path": list(self.path) if self.path is not None else None,
            "found": self.found,
        }


@dataclass(frozen=True)
class Verdict:
    """Either an accepted value (``ok`` and ``value``) or the errors that rejected the output."""

    ok: bool
    value: Any = None
    errors: tuple[ErrorDetail, ...] = field(default=())

    @classmethod
    def accept(cls, value: Any) -> Verdict:
        return cls(ok=True, value=value)

    @classmethod
    def reject(cls, *errors: ErrorDetail) -> Verdict:
        if not errors:
            raise ValueError("a rejecting Verdict needs at least one ErrorDetail")
        return cls(ok=False, errors=tuple(errors))

    def feedback(self) -> str:
        """What to tell the model: the feedback sentences of all errors, one per line."""
        return "\n".join(e.feedback for e in self.errors)

    def signature(self) -> str:
        """Identifies 'the same errors' across attempts (the Guard stops when repair makes no progress).

        Two verdicts have the same signature when their errors have the same checks, codes, locations and
        found texts, in order: rewording a message changes nothing. An error with the default code
        (``"invalid"``: a check of your own that sets none) is told apart by its message instead.
        """
        return "|".join(e.signature() for e in self.errors)

    def __bool__(self) -> bool:
        return self.ok

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "value": _jsonable(self.value), "errors": [e.to_dict() for e in self.errors]}


def _jsonable(value: Any) -> Any:
    """``value`` as JSON-ready data for ``to_dict``: containers converted, objects by their own ``to_dict``
    or ``model_dump``, anything else as its ``repr``. Accepted values can be model-made, so this never
    raises: a value nested too deeply, or whose conversion raises, is shown briefly instead."""
    try:
        return _converted(value)
    except (Exception, RecursionError):
        return show_value(value, 200)


def _converted(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_converted(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _converted(v) for k, v in value.items()}
    for method, kwargs in (("to_dict", {}), ("model_dump", {"mode": "json"})):
        convert = getattr(value, method, None)
        if callable(convert):
            return convert(**kwargs)
    return repr(value)


class Check(ABC):
    """Judges a model output (or the previous check's value)."""

    #: Name used in ErrorDetail.check and in traces.
    name: str = "check"
    #: True for checks that judge the whole ``Completion`` (text and native tool calls); a Guard then hands
    #: them the completion instead of its text. Text checks leave it False.
    judges_completions: bool = False

    def request_tools(self) -> tuple[dict[str, Any], ...] | None:
        """The tools (OpenAI format) a request should offer the model for this check, if any; a Guard
        sends them with chat requests to models that support tools."""
        return None

    @abstractmethod
    def check(self, value: Any) -> Verdict:
        """Accept or reject ``value`` (usually the model's text). Never raises on bad output."""

    async def acheck(self, value: Any) -> Verdict:
        """``check`` for async callers; checks that wait on a subprocess or a model override it."""
        return self.check(value)

    def viable(self, prefix: str) -> bool:
        """False only when no continuation of ``prefix`` can be accepted.

        The default knows nothing about prefixes and says every prefix is viable; checks that can judge
        prefixes (grammars, automata) override it. It must never say False for a prefix that some
        continuation would make acceptable.
        """
        return True

    @property
    def judges_prefixes(self) -> bool:
        """Whether ``viable`` can ever say False before the output is complete (worth streaming for)."""
        return type(self).viable is not Check.viable

    def __call__(self, value: Any) -> Verdict:
        return self.check(value)

    def then(self, *others: Check) -> Pipeline:
        """This check, then each of ``others`` on the previous accepted value."""
        return Pipeline([self, *others])

    def __rshift__(self, other: Check) -> Pipeline:
        return self.then(other)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class Pipeline(Check):
    """Checks in sequence: each receives the value the previous one accepted; the first rejection wins.

    Only the first check sees raw text, so only it decides prefix viability.
    """

    def __init__(self, checks: Sequence[Check]):
        flat: list[Check] = []
        for c in checks:
            flat.extend(c.checks if isinstance(c, Pipeline) else [c])
        if not flat:
            raise ValueError("a Pipeline needs at least one check")
        self.checks: tuple[Check, ...] = tuple(flat)
        self.name = " >> ".join(c.name for c in self.checks)
        self.judges_completions = self.checks[0].judges_completions

    def request_tools(self) -> tuple[dict[str, Any], ...] | None:
        return self.checks[0].request_tools()

    def check(self, value: Any) -> Verdict:
        verdict = Verdict.accept(value)
        for c in self.checks:
            verdict = c.check(verdict.value)
            if not verdict.ok:
                return verdict
        return verdict

    async def acheck(self, value: Any) -> Verdict:
        verdict = Verdict.accept(value)
        for c in self.checks:
            verdict = await c.acheck(verdict.value)
            if not verdict.ok:
                return verdict
        return verdict

    def viable(self, prefix: str) -> bool:
        return self.checks[0].viable(prefix)

    @property
    def judges_prefixes(self) -> bool:
        return self.checks[0].judges_prefixes


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text`` (columns count characters)."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def too_long(check: str, text: str, max_chars: int) -> Verdict | None:
    """The shared guard against unbounded work: reject outputs over ``max_chars`` before parsing."""
    if len(text) <= max_chars:
        return None
    return Verdict.reject(
        ErrorDetail(
            check=check,
            message=f"output is {len(text):,} characters, over the limit of {max_chars:,}",
            feedback=f"Your answer is far too long; answer in under {max_chars:,} characters.",
            expected=f"at most {max_chars} characters",
            offset=max_chars,
            code="output.too_long",
        )
    )
