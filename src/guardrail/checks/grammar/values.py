"""Transformers that turn the parse trees of the shipped grammars into plain Python values.

A transformer that finds a value it cannot represent raises ``ValueError``; the ``Grammar`` check turns
that into a rejecting verdict (the model wrote something grammatical but unusable, such as the lone
surrogate escape ``"\\ud800"`` or a number too large for a float). Raising ``UnusableValue`` instead
names the reason with an error code; the shipped JSON transformer applies the JSON policy every JSON check
shares (``checks.json_policy``) this way.
"""

from __future__ import annotations

import json
from typing import Any

from lark import Token, Transformer

from ..._text import clip
from ..json_policy import MAX_INT_DIGITS, number_problem


class UnusableValue(ValueError):
    """Raised by a transformer for text that parses but cannot be used; ``code`` says why (an error code
    from ``guardrail.checks.codes``, ``grammar.unusable`` unless given)."""

    def __init__(self, message: str, code: str = "grammar.unusable"):
        super().__init__(message)
        self.code = code


def _number(text: str) -> int | float:
    problem = number_problem(text)
    if problem == "json.integer_too_long":
        digits = len(text.lstrip("+-"))
        raise UnusableValue(
            f"the integer {clip(text, 20)} has too many digits ({digits:,}; at most {MAX_INT_DIGITS:,})",
            problem,
        )
    if problem == "json.non_finite":
        raise UnusableValue(f"the number {clip(text, 40)} is too large to represent", problem)
    return float(text) if any(c in text for c in ".eE") else int(text)


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class JsonValue(Transformer[Token, Any]):
    """``json.lark`` trees to what ``json.loads`` returns (dict, list, str, int, float, bool, None)."""

    def string(self, children: list[Token]) -> str:
        value: str = json.loads(children[0])
        if _has_lone_surrogate(value):
            raise UnusableValue(
                "a string contains an unpaired surrogate escape (like \\ud800), which is not a character",
                "json.lone_surrogate",
            )
        return value

    def number(self, children: list[Token]) -> int | float:
        return _number(children[0])

    def true(self, children: list[Any]) -> bool:
        return True

    def false(self, children: list[Any]) -> bool:
        return False

    def null(self, children: list[Any]) -> None:
        return None

    def array(self, children: list[Any]) -> list[Any]:
        return list(children)

    def pair(self, children: list[Any]) -> tuple[str, Any]:
        return children[0], children[1]

    def object(self, children: list[tuple[str, Any]]) -> dict[str, Any]:
        return dict(children)


class ToolCallValue(JsonValue):
    """``tool_call.lark`` trees to ``{"name": str, "arguments": dict}``.

    ``tool_call.lark`` imports the JSON rules; Lark renames the imported aliases into the ``json__``
    namespace, so the JSON methods are registered under both names.
    """

    json__string = JsonValue.string
    json__number = JsonValue.number
    json__true = JsonValue.true
    json__false = JsonValue.false
    json__null = JsonValue.null
    json__array = JsonValue.array
    json__pair = JsonValue.pair
    json__object = JsonValue.object

    def start(self, children: list[dict[str, Any]]) -> dict[str, Any]:
        return children[0]

    def call_members(self, children: list[tuple[str, Any]]) -> dict[str, Any]:
        members = dict(children)
        return {"name": members["name"], "arguments": members["arguments"]}

    def name_member(self, children: list[Any]) -> tuple[str, Any]:
        return "name", children[1]

    def arguments_member(self, children: list[Any]) -> tuple[str, Any]:
        return "arguments", children[1]


class NumberValue(Transformer[Token, Any]):
    """``number.lark`` trees to ``int`` (no decimal point) or ``float``."""

    def start(self, children: list[int | float]) -> int | float:
        return children[0]

    def number(self, children: list[Token]) -> int | float:
        return _number(children[0])


class YesNoValue(Transformer[Token, Any]):
    """``yes_no.lark`` trees to ``True`` (yes) or ``False`` (no)."""

    def yes(self, children: list[Token]) -> bool:
        return True

    def no(self, children: list[Token]) -> bool:
        return False


class ChoiceValue(Transformer[Token, Any]):
    """``choice_ae.lark`` trees to the chosen letter, ``"A"`` to ``"E"``."""

    def start(self, children: list[Token]) -> str:
        return str(children[0])


#: The transformer ``Grammar.from_file`` uses for each shipped grammar unless told otherwise.
SHIPPED_VALUES: dict[str, type[Transformer[Token, Any]]] = {
    "json": JsonValue,
    "tool_call": ToolCallValue,
    "number": NumberValue,
    "yes_no": YesNoValue,
    "choice_ae": ChoiceValue,
}
