"""Domains of pydantic schemas and Python types, read from their JSON Schema.

``enum``/``const``/``boolean``/``null`` are finite; an ``integer`` with both bounds is a range; an object
is the product of its finite fields (other fields opaque, with an example); everything else is "any ...".
Every value claimed is produced by the validator itself from an example JSON text, so the domain holds
what validation really returns (enum members, model instances). Schemas with custom validators (Python
functions) are not enumerated: those functions can map values anywhere.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from .._text import clip
from ..checks.automaton import Automaton
from ..checks.schema import Schema
from ..errors import ConfigurationError
from .domains import AnyValue, Domain, Finite, IntRange, Sample

__all__ = ["schema_domain", "type_domain"]

_NOTHING = object()  # "no example known" (None is the JSON null)
_MAX_DEPTH = 20


@dataclass(frozen=True)
class _Choices:
    raws: tuple[Any, ...]


@dataclass(frozen=True)
class _Ints:
    lo: int
    hi: int


@dataclass(frozen=True)
class _Object:
    fields: tuple[tuple[str, Any, bool], ...]  # name, shape, required


@dataclass(frozen=True)
class _Opaque:
    kind: str
    example: Any


_Shape = _Choices | _Ints | _Object | _Opaque

Validate = Callable[[Any], tuple[bool, Any, str | None]]  # raw JSON -> (ok, value, text)


def schema_domain(check: Schema, limit: int) -> Domain:
    """The values a ``Schema`` check accepts from JSON text."""
    if check.mode == "python":
        return AnyValue("unknown", f"{check.name} validates Python values, not the model's JSON text")

    def validate(raw: Any) -> tuple[bool, Any, str | None]:
        text = json.dumps(raw)
        verdict = check.check(text)
        return verdict.ok, verdict.value, text

    return _domain(check.adapter, check.name, validate, limit)


def type_domain(annotation: Any, limit: int) -> Domain:
    """The values of a Python type (for tool results and inputs); values carry no text."""
    if annotation is None or annotation is type(None):
        return Finite([Sample(None, None)])
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    except Exception as e:  # pydantic cannot make a schema of it (an arbitrary class)
        return AnyValue(f"any {_name(annotation)}", f"pydantic cannot describe the type ({clip(str(e), 80)})")

    def validate(raw: Any) -> tuple[bool, Any, str | None]:
        try:
            return True, adapter.validate_json(json.dumps(raw)), None
        except Exception:  # the example is not a value of the type
            return False, None, None

    return _domain(adapter, _name(annotation), validate, limit)


def _name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or clip(repr(annotation), 40)


def _domain(adapter: TypeAdapter[Any], name: str, validate: Validate, limit: int) -> Domain:
    if _has_custom_validators(adapter.core_schema):
        return AnyValue(
            f"values of {name}", "it has custom validators (Python functions), which can't be enumerated"
        )
    try:
        schema = adapter.json_schema()
    except Exception as e:  # types with no JSON Schema (callables, arbitrary classes)
        return AnyValue(f"values of {name}", f"it has no JSON Schema ({clip(str(e), 80)})")
    shape = _shape(schema, schema.get("$defs", {}), 0)
    return _to_domain(shape, name, validate, limit)


def _has_custom_validators(core: Any) -> bool:
    pending = [core]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            kind = node.get("type")
            if isinstance(kind, str) and kind.startswith("function-"):
                return True
            pending.extend(node.values())
        elif isinstance(node, list | tuple):
            pending.extend(node)
    return False


# -- JSON Schema -> shape ------------------------------------------------------------------------------


def _shape(js: Any, defs: dict[str, Any], depth: int) -> _Shape:
    if not isinstance(js, dict) or depth > _MAX_DEPTH:
        return _Opaque("any JSON value", _NOTHING)
    if "$ref" in js:
        ref = str(js["$ref"]).rsplit("/", 1)[-1]
        return _shape(defs.get(ref), defs, depth + 1)
    if "const" in js:
        return _Choices((js["const"],))
    if "enum" in js:
        return _Choices(tuple(js["enum"]))
    for key in ("anyOf", "oneOf"):
        if key in js:
            subs = [_shape(s, defs, depth + 1) for s in js[key]]
            if all(isinstance(s, _Choices) for s in subs):
                return _Choices(tuple(r for s in subs if isinstance(s, _Choices) for r in s.raws))
            example = next((x for x in map(_example, subs) if x is not _NOTHING), _NOTHING)
            return _Opaque("one of several shapes", example)
    if isinstance(js.get("allOf"), list) and len(js["allOf"]) == 1:
        return _shape(js["allOf"][0], defs, depth + 1)
    kind = js.get("type")
    if kind == "boolean":
        return _Choices((False, True))
    if kind == "null":
        return _Choices((None,))
    if kind == "integer":
        return _integer(js)
    if kind == "number":
        return _Opaque("any number", _bounded_example(js, 0))
    if kind == "string":
        return _Opaque("any string", _string_example(js))
    if kind == "array":
        item = _example(_shape(js.get("items", {}), defs, depth + 1))
        count = int(js.get("minItems", 0))
        return _Opaque(
            "any list", [] if count == 0 else ([item] * count if item is not _NOTHING else _NOTHING)
        )
    if kind == "object":
        properties = js.get("properties")
        if not isinstance(properties, dict) or not properties:
            return _Opaque("any JSON object", {})
        required = set(js.get("required", []))
        fields = tuple(
            (name, _shape(sub, defs, depth + 1), name in required) for name, sub in properties.items()
        )
        return _Object(fields)
    return _Opaque("any JSON value", _NOTHING)


def _integer(js: dict[str, Any]) -> _Shape:
    lo = js.get("minimum", js["exclusiveMinimum"] + 1 if "exclusiveMinimum" in js else None)
    hi = js.get("maximum", js["exclusiveMaximum"] - 1 if "exclusiveMaximum" in js else None)
    step = js.get("multipleOf")
    if isinstance(lo, int) and isinstance(hi, int):
        if step is None:
            return _Ints(lo, hi)
        if isinstance(step, int) and step > 0 and hi - lo < 100_000:
            return _Choices(tuple(k for k in range(lo, hi + 1) if k % step == 0))
    return _Opaque("any integer", _bounded_example(js, 0))


def _bounded_example(js: dict[str, Any], default: int) -> Any:
    for key, shift in (("minimum", 0), ("exclusiveMinimum", 1), ("maximum", 0), ("exclusiveMaximum", -1)):
        if isinstance(js.get(key), int | float):
            return js[key] + shift
    return default


def _string_example(js: dict[str, Any]) -> Any:
    pattern = js.get("pattern")
    if isinstance(pattern, str):
        try:
            return Automaton.regex(pattern).example() or ""
        except ConfigurationError:
            return _NOTHING
    return "a" * int(js.get("minLength", 0))


def _example(shape: _Shape) -> Any:
    if isinstance(shape, _Choices):
        return shape.raws[0] if shape.raws else _NOTHING
    if isinstance(shape, _Ints):
        return shape.lo
    if isinstance(shape, _Opaque):
        return shape.example
    out: dict[str, Any] = {}
    for name, sub, required in shape.fields:
        value = _example(sub)
        if value is _NOTHING:
            if required:
                return _NOTHING
            continue
        out[name] = value
    return out


# -- shape -> domain -----------------------------------------------------------------------------------


def _to_domain(shape: _Shape, name: str, validate: Validate, limit: int) -> Domain:
    if isinstance(shape, _Ints):
        if shape.hi - shape.lo + 1 <= limit:
            shape = _Choices(tuple(range(shape.lo, shape.hi + 1)))
        else:
            ok, _, text = validate(shape.lo)
            if not ok:
                return _unmodelled(name, shape.lo)
            return IntRange(
                shape.lo, shape.hi, render=(lambda k: json.dumps(k)) if text is not None else None
            )
    if isinstance(shape, _Choices):
        return _finite([(raw,) for raw in shape.raws], lambda combo: combo[0], name, validate, {})
    if isinstance(shape, _Object):
        return _object(shape, name, validate, limit)
    example = _sample(shape.example, validate)
    return AnyValue(shape.kind, f"{name} has infinitely many values", example)


def _object(shape: _Object, name: str, validate: Validate, limit: int) -> Domain:
    options: list[list[Any]] = []
    opaque: dict[str, str] = {}
    for field_name, sub, required in shape.fields:
        if isinstance(sub, _Ints) and sub.hi - sub.lo + 1 <= limit:
            sub = _Choices(tuple(range(sub.lo, sub.hi + 1)))
        if isinstance(sub, _Choices):
            choices = list(sub.raws)
        else:
            opaque[field_name] = _opaque_reason(sub)
            example = _example(sub)
            choices = [] if example is _NOTHING else [example]
        if not required:
            choices.append(_NOTHING)  # the field left out (its default)
        if not choices:
            reason = f"no example is known for its required field {field_name!r}"
            return AnyValue(f"objects of {name}", reason)
        options.append(choices)
    names = [f for f, _, _ in shape.fields]
    combinations = 1
    for choices in options:
        combinations *= len(choices)
    if combinations > limit:
        first = {n: c[0] for n, c in zip(names, options, strict=True) if c[0] is not _NOTHING}
        return AnyValue(
            f"objects of {name}", f"over {limit} combinations of field values", _sample(first, validate)
        )

    def build(combo: tuple[Any, ...]) -> Any:
        return {n: v for n, v in zip(names, combo, strict=True) if v is not _NOTHING}

    return _finite(list(itertools.product(*options)), build, name, validate, opaque)


def _opaque_reason(shape: _Shape) -> str:
    if isinstance(shape, _Opaque):
        return shape.kind
    if isinstance(shape, _Ints):
        return f"an integer in {shape.lo}..{shape.hi}"
    return "a nested object"


def _finite(
    combos: list[tuple[Any, ...]],
    build: Callable[[tuple[Any, ...]], Any],
    name: str,
    validate: Validate,
    opaque: dict[str, str],
) -> Domain:
    samples: list[Sample] = []
    for combo in combos:
        raw = build(combo)
        ok, value, text = validate(raw)
        if not ok:
            return _unmodelled(name, raw)
        if not any(_same(value, s.value) for s in samples):
            samples.append(Sample(value, text))
    return Finite(samples, opaque=opaque)


def _unmodelled(name: str, raw: Any) -> Domain:
    reason = (
        f"the schema rejects {clip(json.dumps(raw), 40)}, which its JSON Schema allows: "
        "it has constraints the abstraction does not model"
    )
    return AnyValue(f"values of {name}", reason)


def _sample(raw: Any, validate: Validate) -> Sample | None:
    if raw is _NOTHING:
        return None
    ok, value, text = validate(raw)
    return Sample(value, text) if ok else None


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False
