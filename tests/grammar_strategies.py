"""Hypothesis strategies for texts in the language of a shipped grammar (hypothesis.extra.lark).

``from_lark`` concatenates tokens without knowing what the lexer needs between them, so a few
terminals get explicit strategies: keywords are padded with spaces (every shipped grammar ignores
whitespace; "1and2" would lex as a number and a name), so are tokens that begin with '#' (after a Racket
atom, "x#t" is one symbol), a line comment ends with its newline (otherwise it swallows what follows),
and a block comment cannot contain its own terminator.
"""

from __future__ import annotations

import functools

import regex
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark.lexer import PatternStr

from guardrail.checks.grammar import Grammar
from guardrail.resources import available_grammars

SHIPPED = available_grammars()

_COMMENTS: dict[str, st.SearchStrategy[str]] = {
    "LINE_COMMENT": st.from_regex(r";[^\n]{0,10}", fullmatch=True).map(lambda c: c + "\n"),
    "BLOCK_COMMENT": st.from_regex(r"#\|[^|#]{0,10}\|#", fullmatch=True).map(lambda c: " " + c),
}

_ALPHABET = st.characters(codec="utf-8")  # the utf-8 codec already excludes lone surrogates


@functools.cache
def plain_grammar(name: str) -> Grammar:
    """The shipped grammar without its transformer: the language alone, not the value."""
    return Grammar.from_file(name, transformer=None)


@functools.cache
def texts(name: str) -> st.SearchStrategy[str]:
    lark = plain_grammar(name).lark
    names = {t.name for t in lark.terminals}
    explicit: dict[str, st.SearchStrategy[str]] = {}
    for t in lark.terminals:
        if t.name in lark.lexer_conf.ignore:
            # Long runs of whitespace only make the texts slower to check.
            explicit[t.name] = st.from_regex(t.pattern.to_regexp(), fullmatch=True, alphabet=_ALPHABET).map(
                functools.partial(_shortened, regex.compile(t.pattern.to_regexp()))
            )
        elif isinstance(t.pattern, PatternStr) and t.pattern.value[:1].isalnum():
            explicit[t.name] = st.just(f" {t.pattern.value} ")
        else:
            tokens = st.from_regex(t.pattern.to_regexp(), fullmatch=True, alphabet=_ALPHABET)
            explicit[t.name] = tokens.map(lambda token: " " + token if token.startswith("#") else token)
    explicit.update({n: s for n, s in _COMMENTS.items() if n in names})
    return from_lark(lark, explicit=explicit, alphabet=_ALPHABET)


def _shortened(pattern: regex.Pattern[str], token: str) -> str:
    return token[:2] if pattern.fullmatch(token[:2]) else token


def mutations(text: str) -> st.SearchStrategy[str]:
    """``text`` with one character inserted, deleted or replaced."""
    inserted = st.sampled_from(sorted(set(text + '"{}[]():,.-+ ') | {"x", "\\", "\n"})) | _ALPHABET
    where = st.integers(min_value=0, max_value=len(text))
    insert = st.tuples(where, inserted).map(lambda p: text[: p[0]] + p[1] + text[p[0] :])
    if not text:
        return insert
    at = st.integers(min_value=0, max_value=len(text) - 1)
    delete = at.map(lambda i: text[:i] + text[i + 1 :])
    replace = st.tuples(at, inserted).map(lambda p: text[: p[0]] + p[1] + text[p[0] + 1 :])
    return st.one_of(insert, delete, replace)
