"""``JSONSchema``: validate a model's JSON against a JSON Schema document, with the maintained ``jsonschema``
library (Draft 2020-12 and earlier, chosen by the schema's ``$schema``).

For schemas you own as pydantic models, prefer ``Schema``; this check is for schemas that arrive as JSON
(OpenAI ``response_format``, tool parameter schemas, JSONSchemaBench).

What the validator is given is always plain JSON data: text is parsed only after it passes the JSON
policy every JSON check shares (``checks.json_policy``), and an already parsed value must be made of
JSON's types alone, nested at most ``MAX_DEPTH`` deep. So no hostile output reaches ``jsonschema`` with
a NaN, an integer too long to print, a non-string key or a ``__repr__`` that raises. Two keywords are
replaced: ``uniqueItems``, which ``jsonschema`` checks by comparing every pair of items when they do not
sort (quadratic: minutes for a 200 KB array of mixed types), is checked here in linear time by hashing a
canonical form of each item; and ``multipleOf``, whose division can overflow a float before
``jsonschema``'s exact fallback is reached. A format check that raises (``re.compile`` of a hostile
"regex") is a failed format check. Anything the validator still raises becomes a ``jsonschema.raised``
rejection.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextvars import ContextVar
from fractions import Fraction
from typing import Any

import jsonschema
from jsonschema import FormatChecker
from jsonschema.exceptions import SchemaError
from jsonschema.validators import extend, validator_for

from guardrail._text import clip, show_value
from guardrail.checks.base import DEFAULT_MAX_CHARS, Check, ErrorDetail, Verdict, too_long
from guardrail.checks.json_policy import text_problem, value_problem
from guardrail.errors import ConfigurationError

#: Nested data deeper than this is rejected before validation (jsonschema validates recursively).
MAX_DEPTH = 200


class JSONSchema(Check):
    """Accepts JSON text, or an already parsed value, valid for ``schema``; the value is the parsed data."""

    def __init__(
        self,
        schema: dict[str, Any] | str,
        *,
        name: str = "json_schema",
        max_chars: int = DEFAULT_MAX_CHARS,
        max_errors: int = 5,
    ) -> None:
        if isinstance(schema, str):
            try:
                schema = json.loads(schema)
            except json.JSONDecodeError as exc:
                raise ConfigurationError(f"the JSON Schema is not valid JSON: {exc}") from None
        if not isinstance(schema, dict | bool):
            raise ConfigurationError("a JSON Schema must be a JSON object (or true/false)")
        cls = validator_for(schema)
        try:
            cls.check_schema(schema)
        except SchemaError as exc:
            where = _where(exc.absolute_path)
            raise ConfigurationError(f"invalid JSON Schema at {where}: {exc.message}") from None
        self.schema = schema
        linear = extend(cls, {"uniqueItems": _unique_items, "multipleOf": _multiple_of})
        self._validator = linear(schema, format_checker=_forgiving(cls.FORMAT_CHECKER))
        self.name = name
        self.max_chars = max_chars
        self.max_errors = max_errors

    def check(self, value: Any) -> Verdict:
        text: str | None = None
        if isinstance(value, str):
            text = value
            parsed = self._parse(text)
            if isinstance(parsed, Verdict):
                return parsed
            value = parsed
        problem = value_problem(value, MAX_DEPTH)
        if problem is not None:
            return Verdict.reject(problem.error(self.name))
        token = _KEYS.set({})
        try:
            errors = sorted(self._validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
        except Exception as exc:  # RecursionError, a format checker raising: a rejection, never a crash
            return Verdict.reject(
                ErrorDetail(
                    check=self.name,
                    code="jsonschema.raised",
                    message=f"schema validation raised {type(exc).__name__}: {clip(str(exc))}",
                    feedback="The answer could not be validated; answer with simpler JSON.",
                    found=type(exc).__name__,
                )
            )
        finally:
            _KEYS.reset(token)
        if not errors:
            return Verdict.accept(value)
        return Verdict.reject(*(self._detail(e) for e in errors[: self.max_errors]))

    def _parse(self, text: str) -> Any:
        """The JSON value of ``text``, or the rejection: too long, a lone surrogate, against the JSON
        policy, or not JSON."""
        rejected = too_long(self.name, text, self.max_chars)
        if rejected is not None:
            return rejected
        problem = text_problem(text)
        if problem is not None:
            return Verdict.reject(problem.error(self.name, text))
        try:
            return json.loads(text, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            message = getattr(exc, "msg", None) or (
                "nesting too deep" if isinstance(exc, RecursionError) else ""
            )
            return Verdict.reject(
                ErrorDetail(
                    check=self.name,
                    code="json.invalid",
                    message=f"not valid JSON: {clip(message or str(exc), 120)}",
                    feedback=f"Answer with valid JSON only ({clip(message or str(exc), 120)}).",
                    expected="valid JSON",
                    line=getattr(exc, "lineno", None),
                    column=getattr(exc, "colno", None),
                    offset=getattr(exc, "pos", None),
                )
            )

    def _detail(self, error: jsonschema.ValidationError) -> ErrorDetail:
        path = tuple(p if isinstance(p, int) else str(p) for p in error.absolute_path)
        where = _where(error.absolute_path)
        message = clip(error.message, 200)
        return ErrorDetail(
            check=self.name,
            code=f"jsonschema.{error.validator}",
            message=f"at {where}: {message}",
            feedback=f"At {where}: {message}.",
            expected=f"{error.validator}: {clip(json.dumps(error.validator_value, default=str), 80)}",
            path=path,
        )


def _multiple_of(
    validator: Any, divisor: Any, instance: Any, schema: Any
) -> Iterator[jsonschema.ValidationError]:
    """jsonschema's ``multipleOf``, exact when the float quotient overflows (``1e308`` by ``0.01``)."""
    if not validator.is_type(instance, "number"):
        return
    if isinstance(divisor, float):
        try:
            quotient = instance / divisor
            failed = int(quotient) != quotient
        except OverflowError:
            failed = (Fraction(instance) / Fraction(divisor)).denominator != 1
    else:
        failed = bool(instance % divisor)
    if failed:
        yield jsonschema.ValidationError(f"{show_value(instance)} is not a multiple of {divisor}")


def _forgiving(checker: FormatChecker) -> FormatChecker:
    """``checker`` with every format check failing, instead of raising, on any exception: the "regex"
    format compiles the instance, and a hostile string makes ``re.compile`` raise RecursionError or
    OverflowError, not the ``re.error`` jsonschema expects."""
    forgiving = FormatChecker(formats=())
    forgiving.checkers = {name: (check, Exception) for name, (check, _) in checker.checkers.items()}
    return forgiving


def _no_constant(name: str) -> Any:
    # text_problem already rejected NaN and the infinities; this is the belt to its braces.
    raise ValueError(f"{name} is not JSON")


def _where(path: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


# -- uniqueItems in linear time ------------------------------------------------------------------------------

# Canonical keys of the containers met during one check, by id(): nested arrays under uniqueItems at
# several levels then cost one pass over the data, not one per level.
_KEYS: ContextVar[dict[int, Any]] = ContextVar("json_schema_keys")


def _unique_items(
    validator: Any, unique: Any, instance: Any, schema: Any
) -> Iterator[jsonschema.ValidationError]:
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: dict[Any, int] = {}
    for index, item in enumerate(instance):
        key = _canonical(item)
        if key in seen:
            yield jsonschema.ValidationError(
                f"items {seen[key]} and {index} are equal; the array must have unique items"
            )
            return
        seen[key] = index


def _canonical(value: Any) -> Any:
    """A hashable key equal for exactly the JSON values JSON Schema calls equal: 1 and 1.0 are equal,
    true and 1 are not, objects compare without order. Iterative: values nest up to MAX_DEPTH."""
    keys = _KEYS.get(None)
    if keys is None:
        keys = {}
    # Post-order over the containers: a container's key is built once its children's are known.
    stack: list[tuple[Any, bool]] = [(value, False)]
    done: dict[int, Any] = {}
    while stack:
        item, expanded = stack.pop()
        if isinstance(item, list | dict) and id(item) in keys:
            done[id(item)] = keys[id(item)]
            continue
        if isinstance(item, list):
            if not expanded:
                stack.append((item, True))
                stack.extend((child, False) for child in item if isinstance(child, list | dict))
                continue
            key: Any = (
                "array",
                tuple(_leaf(c) if not isinstance(c, list | dict) else done[id(c)] for c in item),
            )
        elif isinstance(item, dict):
            if not expanded:
                stack.append((item, True))
                stack.extend((child, False) for child in item.values() if isinstance(child, list | dict))
                continue
            key = (
                "object",
                frozenset(
                    (k, _leaf(v) if not isinstance(v, list | dict) else done[id(v)]) for k, v in item.items()
                ),
            )
        else:
            return _leaf(item)
        keys[id(item)] = done[id(item)] = key
    return done[id(value)]


def _leaf(value: Any) -> Any:
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float):
        return ("number", value)  # 1 == 1.0 and hash(1) == hash(1.0): equal numbers, one key
    return ("string" if isinstance(value, str) else "null", value)
