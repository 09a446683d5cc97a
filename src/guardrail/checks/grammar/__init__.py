"""``Grammar``: accept a model's output only if it parses with a Lark grammar.

The package holds one concept per module: ``check`` (the ``Grammar`` check), ``lr`` (driving Lark's LALR
table and contextual lexer without building trees), ``prefix`` (prefix viability on a stream),
``tokens`` (following a token that is still growing, with the terminals' DFAs), ``extract`` (finding an
answer inside a chatty reply), ``earley`` (Earley parsing under a deadline), ``errors`` (turning a parse
failure into an ``ErrorDetail``), ``tree`` (walking parse trees without recursion) and ``values`` (the
shipped transformers).

Every check is linear in the length of the output: a whole parse (LALR), extraction (one pass with
bounded probes), and a stream's prefix checks taken together (each call reads only the new characters,
plus one ``str.startswith`` against the previous prefix, a memory compare). Earley grammars are bounded
by their length limit and deadline instead.
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
