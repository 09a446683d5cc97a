"""``Predicate`` and ``Converter``: any Python callable as a check.

A predicate returns True (accept), False (reject with a message built from its name or description) or a
str (reject, and that str is the feedback). A converter (``Predicate.map(fn)``) returns a new value instead,
e.g. ``Predicate.map(int)``. For both, an exception raised by the callable means the *output* is bad (the
callable met input it cannot handle), so it becomes a rejecting verdict naming the exception, never a crash.
Only returning something that is neither a bool nor a str is the caller's mistake, and raises.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from guardrail._text import clip, show_value
from guardrail.checks.base import DEFAULT_MAX_CHARS, Check, ErrorDetail, Verdict, too_long
from guardrail.errors import ConfigurationError

__all__ = ["Converter", "Predicate", "PredicateFn"]

PredicateFn = Callable[[Any], "bool | str"]


class _CallableCheck(Check):
    """What a predicate and a converter share: the callable, its name and description, the length bound, and
    the rule that an exception from the callable rejects the output."""

    _kind = "callable"
    _who = "a callable check"

    def __init__(
        self,
        fn: Callable[[Any], Any],
        *,
        name: str | None = None,
        description: str | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ):
        if not callable(fn):
            raise ConfigurationError(f"{self._who} needs a callable, got {type(fn).__name__}")
        self.fn = fn
        self.name = name or _callable_name(fn, self._kind)
        self.description = description or _first_doc_line(fn)
        self.max_chars = max_chars

    def viable(self, prefix: str) -> bool:
        """False once the text is over ``max_chars``; a callable cannot judge a prefix, so otherwise True."""
        return len(prefix) <= self.max_chars

    def _call(self, value: Any) -> tuple[Any, Verdict | None]:
        """``fn(value)``, or the rejecting verdict for an over-long text or an exception from ``fn``."""
        if isinstance(value, str) and (rejection := too_long(self.name, value, self.max_chars)) is not None:
            return None, rejection
        try:
            return self.fn(value), None
        except Exception as e:
            return None, Verdict.reject(_raised(self.name, e))


class Predicate(_CallableCheck):
    """Accepts the values for which ``fn(value)`` returns True; the value passes through unchanged.

    String values longer than ``max_chars`` are rejected before ``fn`` sees them.
    """

    _kind = "predicate"
    _who = "Predicate"

    def __init__(
        self,
        fn: PredicateFn,
        *,
        name: str | None = None,
        description: str | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ):
        super().__init__(fn, name=name, description=description, max_chars=max_chars)

    @staticmethod
    def map(
        fn: Callable[[Any], Any],
        *,
        name: str | None = None,
        description: str | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> Converter:
        """A check whose value is ``fn(value)``: a converter such as ``int`` or ``json.loads``."""
        return Converter(fn, name=name, description=description, max_chars=max_chars)

    def check(self, value: Any) -> Verdict:
        result, rejected = self._call(value)
        if rejected is not None:
            return rejected
        if result is True:
            return Verdict.accept(value)
        if isinstance(result, str) and result:
            return Verdict.reject(
                ErrorDetail(
                    check=self.name,
                    code="predicate.message",
                    message=clip(result, 1000),
                    feedback=clip(result, 300),
                    expected=self.description,
                )
            )
        if result is False or isinstance(result, str):
            why = f": {_unstop(self.description)}" if self.description else ""
            return Verdict.reject(
                ErrorDetail(
                    check=self.name,
                    code="predicate.false",
                    message=f"{self.name} rejected the value",
                    feedback=clip(f"The answer fails the check {self.name!r}{why}.", 300),
                    expected=self.description,
                )
            )
        raise ConfigurationError(
            f"predicate {self.name!r} returned {type(result).__name__} {show_value(result)}; a predicate "
            "must return True, False or a message (str) saying what is wrong (wrap it in bool(...)?)"
        )


class Converter(_CallableCheck):
    """A check whose accepted value is ``fn(value)``; an exception from ``fn`` rejects the output."""

    _kind = "converter"
    _who = "Predicate.map"

    def check(self, value: Any) -> Verdict:
        result, rejected = self._call(value)
        return rejected if rejected is not None else Verdict.accept(result)


def _raised(name: str, e: Exception) -> ErrorDetail:
    try:
        said = str(e)
    except Exception:  # an exception whose __str__ fails must not escape either
        said = ""
    reason = f"{type(e).__name__}: {said}" if said else type(e).__name__
    return ErrorDetail(
        check=name,
        code="predicate.raised",
        message=clip(f"{name} raised {reason}", 1000),
        feedback=clip(f"The answer could not be checked: {reason}.", 300),
        expected=None,
        found=type(e).__name__,
    )


def _callable_name(fn: Callable[..., Any], default: str) -> str:
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str) or name == "<lambda>":
        return default
    return name


def _first_doc_line(fn: Callable[..., Any]) -> str | None:
    if inspect.isclass(fn) or inspect.isbuiltin(fn):
        return None  # int's or json.loads' docstring describes the builtin, not the check
    doc = inspect.getdoc(fn)
    if not doc:
        return None
    return doc.strip().splitlines()[0].strip() or None


def _unstop(text: str) -> str:
    return text[:-1] if text.endswith(".") else text
