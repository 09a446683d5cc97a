"""Turning a parse failure into an ``ErrorDetail`` a person and a model can act on.

Lark names terminals (``RBRACE``, ``__ANON_3``); a model needs "a closing '}' or ','". String terminals
are shown as their text, well-known named terminals as a phrase ("a string", "a number"), and any other
named terminal as its name in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lark.lexer import PatternStr, TerminalDef

from ..._text import clip, show_char
from ..base import ErrorDetail, line_and_column
from .lr import END, LRDriver, Stack, StateLexer, Terminal

_CLOSERS = frozenset(")]}>")
_MAX_SHOWN = 8

# Phrases for the terminals of the shipped grammars and of Lark's common.lark.
_PHRASES: dict[str, str] = {
    "STRING": "a string",
    "ESCAPED_STRING": "a string",
    "NUMBER": "a number",
    "SIGNED_NUMBER": "a number",
    "DECIMAL": "a number",
    "FLOAT": "a number",
    "SIGNED_FLOAT": "a number",
    "INT": "an integer",
    "SIGNED_INT": "an integer",
    "DIGIT": "a digit",
    "HEXDIGIT": "a hexadecimal digit",
    "CNAME": "a name",
    "NAME": "a name",
    "WORD": "a word",
    "LETTER": "a letter",
    "ATOM": "a symbol or number",
    "BOOLEAN": "#t or #f",
    "CHAR": "a character like #\\a",
    "KEYWORD": "a keyword like #:key",
    "QUOTE_MARK": "a quote mark",
    "LANG_LINE": "a #lang line",
    "NAME_KEY": "'\"name\"'",
    "ARGUMENTS_KEY": "'\"arguments\"'",
    END: "the end of the answer",
}


def describe_terminal(name: str, terminals: Mapping[str, TerminalDef]) -> str:
    """A short phrase for one terminal: ``'}'`` as "a closing '}'", ``NUMBER`` as "a number"."""
    term = terminals.get(name)
    if term is not None and isinstance(term.pattern, PatternStr):
        text = clip(term.pattern.value, 30)
        return f"a closing '{text}'" if text in _CLOSERS else f"'{text}'"
    if name in _PHRASES:
        return _PHRASES[name]
    words = name.strip("_").replace("_", " ").lower()
    if term is None or not words or words.startswith("anon"):
        pattern = term.pattern.value if term is not None else name
        return f"text matching /{clip(pattern, 40)}/"
    article = "an" if words[0] in "aeiou" else "a"
    return f"{article} {words}"


def describe_expected(names: Iterable[str], terminals: Mapping[str, TerminalDef]) -> str:
    """Several terminals as one phrase: "a closing '}' or ','", "'true', 'false' or a number"."""
    phrases = sorted({describe_terminal(n, terminals) for n in names}, key=_phrase_order)
    if not phrases:
        return "nothing more"
    if len(phrases) > _MAX_SHOWN:
        phrases = [*phrases[: _MAX_SHOWN - 1], f"{len(phrases) - _MAX_SHOWN + 1} other tokens"]
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _phrase_order(phrase: str) -> tuple[int, str]:
    if phrase.startswith("a closing"):
        return 0, phrase
    if phrase.startswith("'"):
        return 1, phrase
    if phrase == _PHRASES[END]:
        return 3, phrase
    return 2, phrase


def syntax_error(
    check: str,
    text: str,
    offset: int,
    found: str | None,
    expected: str,
    grammar: str,
    *,
    whole_token: bool = False,
) -> ErrorDetail:
    """The error for a parse that failed at ``offset``; ``found`` is None at the end of the text.

    ``whole_token`` says ``found`` is a token the lexer read (which the parser rejects:
    ``grammar.unexpected_token``) rather than a character no token can go on with
    (``grammar.unexpected_character``).
    """
    line, column = line_and_column(text, offset)
    where = f"line {line}, column {column}"
    shown = None
    if found is None:
        code = "grammar.unexpected_end"
        message = f"the text ends too early for the {grammar} grammar at {where}: expected {expected}"
        feedback = f"Your answer stops too early: expected {expected} at {where}."
    else:
        code = "grammar.unexpected_token" if whole_token else "grammar.unexpected_character"
        shown = found_text(found)
        message = f"unexpected {shown} at {where} for the {grammar} grammar: expected {expected}"
        feedback = f"At {where}, expected {expected} but found {shown}."
    return ErrorDetail(
        check=check,
        code=code,
        message=message,
        feedback=feedback,
        expected=expected,
        line=line,
        column=column,
        offset=offset,
        found=shown,
    )


def found_text(found: str) -> str:
    if len(found) == 1:
        return show_char(found)
    return "'" + clip(found, 24).replace("\n", "\\n") + "'"


def lalr_syntax_error(
    check: str,
    grammar: str,
    driver: LRDriver,
    text: str,
    stack: Stack,
    pos: int,
    end: int,
    lark_found: str | None = None,
) -> ErrorDetail:
    """The error for a parse of ``text[:end]`` that stopped at ``pos`` with ``stack``.

    When the lexer is stuck inside a token (an unfinished string, ``tru``), the error points at the
    character that cannot continue that token rather than at the token's first character.
    """
    lexer = driver.state_lexer(stack.state)
    accepted = driver.acceptable(stack)
    token = driver.scan(lexer, text, pos, end) if pos < end else None
    if token is None and pos < end:
        unfinished = _unfinished_token(lexer, accepted, text, pos, end)
        if unfinished is not None:
            term, stuck = unfinished
            found = text[stuck] if stuck < end else None
            expected = "the rest of " + describe_terminal(term.name, driver.terminals)
            return syntax_error(check, text, stuck, found, expected, grammar)
    if pos >= end:
        return syntax_error(
            check, text, end, None, describe_expected(accepted - {END}, driver.terminals), grammar
        )
    found = text[pos : token[1]] if token is not None else (lark_found or text[pos])
    whole = token is not None or lark_found is not None
    expected = describe_expected(accepted, driver.terminals)
    return syntax_error(check, text, pos, found, expected, grammar, whole_token=whole)


def _unfinished_token(
    lexer: StateLexer, accepted: set[str], text: str, pos: int, end: int
) -> tuple[Terminal, int] | None:
    """The acceptable terminal that the text at ``pos`` begins for longest, and where it stops fitting."""
    best: tuple[Terminal, int] | None = None
    for term in lexer.candidates:
        if not (term.ignored or term.name in accepted):
            continue
        fits = _longest_fitting_prefix(term, text, pos, end)
        if fits > 0 and (best is None or pos + fits > best[1]):
            best = (term, pos + fits)
    return best


def _longest_fitting_prefix(term: Terminal, text: str, pos: int, end: int) -> int:
    """How many characters from ``pos`` can begin a token of ``term``.

    Fitting is monotone (a prefix of a fitting text fits too), so: try everything, then gallop up from
    one character and binary-search the last step. The work stays proportional to the answer, which
    matters for a 150 KB unterminated string.
    """

    def fits(length: int) -> bool:
        return term.pattern.fullmatch(text, pos, pos + length, partial=True) is not None

    if fits(end - pos):
        return end - pos
    low, high = 0, 1
    while high < end - pos and fits(high):
        low, high = high, high * 2
    high = min(high, end - pos) - 1  # the last length known (or, at end - pos, checked) not to fit, minus one
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low
