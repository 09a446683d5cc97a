"""One policy for the numbers and strings of every JSON check.

JSON (RFC 8259) has no NaN or Infinity, and leaves the range of numbers to implementations; Python's
``json`` reads ``NaN``, turns ``1e999999`` into ``inf`` and refuses to convert integers of more than
4,300 digits (raising, not rejecting); pydantic's parser reads ``NaN`` too. So every JSON check
(``Grammar("json")``, ``Schema``, ``JSONSchema``, ``ToolCalls``) rejects, with a located error:

- ``json.non_finite``: ``NaN``, ``Infinity``, ``-Infinity``, and numbers that overflow a float;
- ``json.integer_too_long``: integers of more than ``MAX_INT_DIGITS`` digits;
- ``json.lone_surrogate``: a string escape of a lone surrogate (``"\\ud800"``), which is no character.

``text_problem`` finds the first of these in JSON text in linear time: one C-level regex search decides
whether the text can hold any of them at all (the common case: it cannot), and only then are the
tokens outside strings, and the escapes inside suspicious strings, read one by one. ``value_problem``
walks an already parsed value (iteratively: hostile values nest deeper than Python's stack) and also
rejects what JSON cannot hold (non-string keys, sets, objects) and nesting over a limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import regex

from .base import ErrorDetail, PathItem, line_and_column

#: Python's default limit for converting digit strings to integers (``sys.get_int_max_str_digits``), and
#: pydantic's JSON parser's: fixed here so that the policy does not depend on the interpreter's setting.
MAX_INT_DIGITS: Final = 4300

# Could the text hold a bad number or escape at all? NaN/Infinity; an exponent of 3 or more digits or an
# integer part of 100 or more digits (a float overflows only past 1.8e308, and an exponent of 2 digits
# needs over 200 integer digits to get there); a \u escape in the surrogate range.
_SUSPECT = regex.compile(r"NaN|Infinity|[0-9][eE][+-]?[0-9]{3}|[0-9]{100}|\\u[dD][89a-fA-F]")

# JSON tokens that matter here: strings (also unterminated ones, so that nothing inside them is read as a
# number), NaN and the infinities, and numbers.
_TOKEN = regex.compile(
    r'(?P<string>"(?:[^"\\]++|\\.)*+(?:"|\\?\Z))'
    r"|(?P<constant>-?Infinity|NaN)"
    r"|(?P<number>-?[0-9]++(?:\.[0-9]++)?(?:[eE][+-]?[0-9]++)?)",
    regex.DOTALL,
)
_ESCAPE = regex.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", regex.DOTALL)


@dataclass(frozen=True, slots=True)
class Problem:
    """A policy violation: its code, what was found (briefly), and where (an offset in text, or a path)."""

    code: str
    found: str
    offset: int | None = None
    path: tuple[PathItem, ...] | None = None

    @property
    def what(self) -> str:
        if self.code == "json.non_finite":
            return f"the number {self.found} is not finite (JSON numbers must be finite)"
        if self.code == "json.integer_too_long":
            return f"an integer of {self.found} digits (at most {MAX_INT_DIGITS} are allowed)"
        if self.code == "json.lone_surrogate" and self.found.startswith("\\"):
            return f"the escape {self.found} is half of a surrogate pair, not a character"
        if self.code == "json.lone_surrogate":
            return f"a string holds the lone surrogate {self.found}, which is not a character"
        if self.code == "output.too_deep":
            return f"nesting deeper than {self.found} levels"
        return f"{self.found} cannot be represented in JSON"

    def error(self, check: str, text: str | None = None, path: tuple[PathItem, ...] = ()) -> ErrorDetail:
        """This problem as an ``ErrorDetail`` of ``check``; ``text`` gives offsets a line and column."""
        line = column = None
        if self.offset is not None and text is not None:
            line, column = line_and_column(text, self.offset)
        full_path = (*path, *self.path) if self.path is not None else (path or None)
        detail = ErrorDetail(
            check=check,
            message="",
            feedback="",
            line=line,
            column=column,
            offset=self.offset,
            path=full_path,
        )
        where = detail.location()
        where = f" at {where}" if where else ""
        return ErrorDetail(
            check=check,
            code=self.code,
            message=f"{self.what}{where}",
            feedback=f"{_capital(self.what)}{where}; {_ADVICE.get(self.code, 'write plain JSON data')}.",
            expected=_EXPECTED.get(self.code, "JSON data"),
            line=line,
            column=column,
            offset=self.offset,
            path=full_path,
            found=self.found,
        )


_ADVICE = {
    "json.non_finite": "write a finite number, or null",
    "json.integer_too_long": "write a shorter number, or the number as a string",
    "json.lone_surrogate": "write the character itself or a full surrogate pair",
    "output.too_deep": "answer with flatter data",
}
_EXPECTED = {
    "json.non_finite": "a finite number",
    "json.integer_too_long": f"an integer of at most {MAX_INT_DIGITS} digits",
    "json.lone_surrogate": "a string of characters",
    "output.too_deep": "less deeply nested data",
}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def number_problem(token: str) -> str | None:
    """The policy code a JSON number token (or NaN/Infinity) violates, or None."""
    if token.lstrip("-") in ("NaN", "Infinity"):
        return "json.non_finite"
    if not any(c in token for c in ".eE"):
        return "json.integer_too_long" if len(token.lstrip("-")) > MAX_INT_DIGITS else None
    return "json.non_finite" if math.isinf(float(token)) else None


def text_problem(text: str) -> Problem | None:
    """The first policy violation in JSON ``text`` (an offset into it), or None. Linear in ``len(text)``.

    Made for valid JSON; on invalid JSON it still returns in linear time and never raises, and what it
    reports is then a violation in a text that is bad anyway.
    """
    if _SUSPECT.search(text) is None:
        return None
    for token in _TOKEN.finditer(text):
        kind = token.lastgroup
        if kind == "string":
            if "\\u" in token.group():
                found = _lone_surrogate(text, token.start(), token.end())
                if found is not None:
                    return found
            continue
        code = number_problem(token.group())
        if code is not None:
            shown = str(len(token.group().lstrip("-"))) if code == "json.integer_too_long" else _short(token)
            return Problem(code, shown, offset=token.start())
    return None


def _short(token: regex.Match[str]) -> str:
    text = token.group()
    return text if len(text) <= 24 else f"{text[:10]}…{text[-10:]}"


def _lone_surrogate(text: str, start: int, end: int) -> Problem | None:
    pending: regex.Match[str] | None = None  # a high surrogate escape waiting for its low half
    for escape in _ESCAPE.finditer(text, start, end):
        code = int(escape.group(1), 16) if escape.group(1) else None
        is_low = code is not None and 0xDC00 <= code <= 0xDFFF
        if pending is not None:
            if is_low and escape.start() == pending.end():
                pending = None
                continue
            return Problem("json.lone_surrogate", pending.group(), offset=pending.start())
        if code is not None and 0xD800 <= code <= 0xDBFF:
            pending = escape
        elif is_low:
            return Problem("json.lone_surrogate", escape.group(), offset=escape.start())
    if pending is not None:
        return Problem("json.lone_surrogate", pending.group(), offset=pending.start())
    return None


_SCALARS = (str, int, float, bool, type(None))

# Where an item sits in a parsed value, as a linked list from the item up to the root: building a path
# tuple for every item would cost the depth of each one.
_Where = tuple[PathItem, "_Where"] | None


def value_problem(value: Any, max_depth: int) -> Problem | None:
    """The first thing in a parsed value that JSON data may not hold, or None (a path locates it).

    Only exact JSON types pass (``dict`` with ``str`` keys, ``list``, ``str``, ``int``, ``float``,
    ``bool``, ``None``): a subclass could bring a ``__repr__`` or ``__eq__`` that raises inside a
    validator. Linear in the size of the value; never recurses.
    """
    stack: list[tuple[Any, int, _Where]] = [(value, 0, None)]
    while stack:
        item, depth, where = stack.pop()
        problem = _item_problem(item, depth, max_depth)
        if problem is not None:
            code, found = problem
            return Problem(code, found, path=_path(where))
        if type(item) is dict:
            stack.extend((v, depth + 1, (k, where)) for k, v in item.items())
        elif type(item) is list:
            stack.extend((v, depth + 1, (i, where)) for i, v in enumerate(item))
    return None


def _item_problem(item: Any, depth: int, max_depth: int) -> tuple[str, str] | None:
    kind = type(item)
    if depth > max_depth:
        return "output.too_deep", str(max_depth)
    if kind is dict:
        bad_key = next((k for k in item if type(k) is not str), None)
        if bad_key is not None:
            return "json.not_json", f"a key of type {type(bad_key).__name__}"
    elif kind is float:
        if not math.isfinite(item):
            return "json.non_finite", repr(item)
    elif kind is int:
        if item.bit_length() > _MAX_INT_BITS and abs(item) >= _INT_LIMIT:
            return "json.integer_too_long", f"over {MAX_INT_DIGITS}"
    elif kind is str:
        found = _SURROGATE.search(item)
        if found is not None:
            return "json.lone_surrogate", f"U+{ord(found.group()):04X}"
    elif kind not in _SCALARS and kind is not list:
        return "json.not_json", f"a value of type {kind.__name__}"
    return None


def _path(where: _Where) -> tuple[PathItem, ...]:
    keys: list[PathItem] = []
    while where is not None:
        key, where = where
        keys.append(key)
    return tuple(reversed(keys))


# An int of at most this many bits is below 10**MAX_INT_DIGITS, so only longer ones need the comparison.
_MAX_INT_BITS: Final = int(MAX_INT_DIGITS * math.log2(10))
_INT_LIMIT: Final = 10**MAX_INT_DIGITS
_SURROGATE = regex.compile("[\ud800-\udfff]")
