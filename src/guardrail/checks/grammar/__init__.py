"""``Grammar``: accept a model's output only if it parses with a Lark grammar.

The package holds one concept per module: ``check`` (the ``Grammar`` check), ``lr`` (driving Lark's LALR
table and contextual lexer without building trees), ``prefix`` (prefix viability on a stream),
``extract`` (finding an answer inside a chatty reply), ``earley`` (Earley parsing under a deadline),
``errors`` (turning a parse failure into an ``ErrorDetail``), ``tree`` (walking parse trees without
recursion) and ``values`` (the shipped transformers).
"""

from .check import (
    DEFAULT_MAX_DEPTH,
    EARLEY_MAX_CHARS,
    EARLEY_TIMEOUT,
    MAX_EXTRACT_CANDIDATES,
    SHIPPED,
    Grammar,
    TransformerLike,
)
from .values import UnusableValue

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "EARLEY_MAX_CHARS",
    "EARLEY_TIMEOUT",
    "MAX_EXTRACT_CANDIDATES",
    "SHIPPED",
    "Grammar",
    "TransformerLike",
    "UnusableValue",
]
