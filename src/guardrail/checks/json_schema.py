"""``JSONSchema``: validate a model's JSON against a JSON Schema document, with the maintained ``jsonschema``
library (Draft 2020-12 and earlier, chosen by the schema's ``$schema``).

For schemas you own as pydantic models, prefer ``Schema``; this check is for schemas that arrive as JSON
(OpenAI ``response_format``, tool parameter schemas, JSONSchemaBench).
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from guardrail._text import clip
from guardrail.checks.base import DEFAULT_MAX_CHARS, Check, ErrorDetail, Verdict, too_long
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
        self._validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        self.name = name
        self.max_chars = max_chars
        self.max_errors = max_errors

    def check(self, value: Any) -> Verdict:
        if isinstance(value, str):
            rejected = too_long(self.name, value, self.max_chars)
            if rejected is not None:
                return rejected
            try:
                value = json.loads(value)
            except (json.JSONDecodeError, RecursionError) as exc:
                message = getattr(exc, "msg", "nesting too deep")
                return Verdict.reject(
                    ErrorDetail(
                        check=self.name,
                        code="json.invalid",
                        message=f"not valid JSON: {message}",
                        feedback=f"Answer with valid JSON only ({message}).",
                        expected="valid JSON",
                        line=getattr(exc, "lineno", None),
                        column=getattr(exc, "colno", None),
                        offset=getattr(exc, "pos", None),
                    )
                )
        if _depth_exceeds(value, MAX_DEPTH):
            return Verdict.reject(
                ErrorDetail(
                    check=self.name,
                    code="output.too_deep",
                    message=f"data nested deeper than {MAX_DEPTH} levels",
                    feedback="Your JSON is nested far too deeply; answer with flatter data.",
                    expected=f"at most {MAX_DEPTH} levels of nesting",
                )
            )
        try:
            errors = sorted(self._validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
        except RecursionError:
            return Verdict.reject(
                ErrorDetail(
                    check=self.name,
                    code="jsonschema.raised",
                    message="schema validation recursed too deeply",
                    feedback="Answer with simpler JSON.",
                    found="RecursionError",
                )
            )
        if not errors:
            return Verdict.accept(value)
        return Verdict.reject(*(self._detail(e) for e in errors[: self.max_errors]))

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


def _where(path: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False
