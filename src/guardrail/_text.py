"""Showing untrusted text (model outputs, case data, server replies) briefly and safely: the one place
guardrail clips text for messages, traces and reports.

Feedback goes back to models over HTTP as UTF-8, so nothing shown may carry a lone surrogate, and it must
stay short however large or deep the offending value is.
"""

from __future__ import annotations

import json
import reprlib
from typing import Any

_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 6


def encodable(text: str) -> str:
    """``text`` with every lone surrogate written as a ``\\udXXX`` escape, so it encodes as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def clip(text: str, limit: int = 200) -> str:
    """``text`` cut to at most ``limit`` characters (the last one an ellipsis) and made UTF-8 safe."""
    if len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return encodable(text)


def quoted(text: str, limit: int = 120) -> str:
    """``text`` as a JSON string literal (newlines and quotes escaped), at most ``limit`` characters."""
    shown = json.dumps(text[: limit + 1], ensure_ascii=False)
    if len(shown) > limit or len(text) > limit + 1:
        shown = shown[: max(1, limit - 4)] + '..."'
    return encodable(shown)


def show_value(value: Any, limit: int = 60) -> str:
    """A short rendering of any value: strings and numbers as JSON, the rest through a bounded repr."""
    if isinstance(value, str):
        shown = json.dumps(value[:limit], ensure_ascii=False)
        if len(value) > limit:
            shown = shown[:-1] + '…"'
        return encodable(shown)
    if value is None or isinstance(value, bool | int | float):
        try:
            return clip(json.dumps(value), limit)
        except ValueError:  # ints too long to print (sys.set_int_max_str_digits)
            return f"a {value.bit_length()}-bit integer" if isinstance(value, int) else repr(value)
    try:
        return clip(_REPR.repr(value), limit)
    except Exception:  # a hostile __repr__ must not turn a verdict into a crash
        return f"a {type(value).__name__}"


def show_char(char: str) -> str:
    """One character, quoted, with control and invisible characters escaped."""
    return encodable(repr(char))
