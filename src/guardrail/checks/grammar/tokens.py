"""Following the token that is still growing at the end of a stream, without rereading it.

For the token at the end of a prefix, ``viable`` asks each terminal the lexer could read there whether it
may still match once more text arrives (``fullmatch(..., partial=True)``), and whether it has matched
some prefix of the token already. Asking a regexp means reading the token again from its first
character on every call, so a stream that ends in one long token (a long string, a long comment) costs
time quadratic in its length. Here each terminal's regexp is also compiled to a DFA (interegular, the
library Lark itself uses to compare terminals), and the walk's state is kept from one call to the next:
only the new characters are read. Runs of characters that keep the DFA where it is (the body of a
string) are skipped by one C-level regex call.

The DFA speeds things up but never has the last word: interegular reads ``\\d``, ``\\w``, ``\\s`` as
ASCII and folds case one character at a time where the ``regex`` module reads Unicode, so a DFA may
accept less than its regexp. The caller confirms with the regexps before it says a token has ended or a
prefix is not viable (once per token). A terminal that interegular cannot read, or one compiled with
flags, has no DFA and is asked through its regexp on each call (``REGEX``); such tokens are still
rescanned.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import interegular
import regex

from ..dfa import DEAD, Tables, compile_fsm, with_other
from .lr import Terminal

#: A candidate without a DFA: its regexp is asked on every call.
REGEX: Final = -2
#: DFAs with more states than this are not built (huge counted repetitions); the regexp is used instead.
MAX_DFA_STATES: Final = 5_000

_DEFAULT_FLAGS = regex.compile("").flags


@dataclass(frozen=True, slots=True, eq=False)
class GrowingToken:
    """How each candidate terminal reads ``text[start:end]``, the token still growing at the end.

    ``states[i]`` is candidate ``i``'s DFA state after that text, ``DEAD`` once no continuation can
    match it, or ``REGEX``; ``matched[i]`` says whether some prefix of it (one character or more) is a
    whole match of candidate ``i``'s DFA.
    """

    start: int
    end: int
    states: tuple[int, ...]
    matched: tuple[bool, ...]


class TokenDFA:
    """One terminal's DFA, with the regexps that skip runs of characters that loop on a state."""

    def __init__(self, tables: Tables):
        self.tables = tables
        self._loops: dict[int, regex.Pattern[str] | None] = {}
        self._lock = threading.Lock()

    def advance(self, state: int, text: str, start: int, end: int) -> tuple[int, bool]:
        """The state after reading ``text[start:end]`` from ``state`` (``DEAD`` if it died), and whether
        an accepting state was reached after one character or more."""
        if state == DEAD:
            return DEAD, False
        tables = self.tables
        rows, classes, other, accepting = tables.rows, tables.classes, tables.other, tables.accepting
        matched = False
        i = start
        while i < end:
            loop = self._loop(state)
            if loop is not None:
                run_end = loop.match(text, i, end)
                assert run_end is not None  # a run may be empty: the pattern always matches
                if run_end.end() > i:
                    matched = matched or state in accepting
                    i = run_end.end()
                    if i >= end:
                        break
            state = rows[state][classes.get(text[i], other)]
            if state == DEAD:
                return DEAD, matched
            matched = matched or state in accepting
            i += 1
        return state, matched

    def first_character(self) -> str | None:
        """A regex matching one character a token of this terminal can begin with (None: no token)."""
        tables = self.tables
        if tables.start == DEAD:
            return None
        return character_class(
            tables, {c for c, target in enumerate(tables.rows[tables.start]) if target != DEAD}
        )

    def _loop(self, state: int) -> regex.Pattern[str] | None:
        found = self._loops.get(state, _UNSET)
        if found is _UNSET:
            found = _loop_pattern(self.tables, state)
            with self._lock:
                self._loops[state] = found
        return found


_UNSET: Final = regex.compile("(?!)")  # a sentinel no loop pattern is identical to


def _loop_pattern(tables: Tables, state: int) -> regex.Pattern[str] | None:
    """A regex matching the longest run of characters that each lead from ``state`` back to ``state``."""
    body = character_class(tables, {c for c, target in enumerate(tables.rows[state]) if target == state})
    return None if body is None else regex.compile(f"{body}*+")


def character_class(tables: Tables, classes: set[int]) -> str | None:
    """A regex that matches one character of the given character classes (None for no class)."""
    if not classes:
        return None
    if tables.other in classes:
        excluded = sorted(ch for ch, c in tables.classes.items() if c not in classes)
        return f"[^{_char_class(excluded)}]" if excluded else "(?s:.)"
    return f"[{_char_class(sorted(ch for c in classes for ch in tables.members[c]))}]"


def _char_class(chars: Sequence[str]) -> str:
    """The inside of a character class of ``chars`` (sorted), as ranges of ``\\UXXXXXXXX`` escapes."""
    parts: list[str] = []
    i = 0
    while i < len(chars):
        j = i
        while j + 1 < len(chars) and ord(chars[j + 1]) == ord(chars[j]) + 1:
            j += 1
        low, high = ord(chars[i]), ord(chars[j])
        parts.append(f"\\U{low:08x}" if low == high else f"\\U{low:08x}-\\U{high:08x}")
        i = j + 1
    return "".join(parts)


class TokenFollower:
    """Builds and caches the DFAs of one grammar's terminals, and follows growing tokens with them."""

    def __init__(self) -> None:
        self._dfas: dict[str, TokenDFA | None] = {}
        self._lock = threading.Lock()

    def dfa(self, term: Terminal) -> TokenDFA | None:
        if term.name not in self._dfas:
            built = _build(term)
            with self._lock:
                self._dfas[term.name] = built
        return self._dfas[term.name]

    def begin(self, candidates: Sequence[Terminal], text: str, start: int) -> GrowingToken:
        """Read ``text[start:]`` with each candidate."""
        states: list[int] = []
        matched: list[bool] = []
        for term in candidates:
            dfa = self.dfa(term)
            if dfa is None:
                states.append(REGEX)
                matched.append(False)
                continue
            state, hit = dfa.advance(dfa.tables.start, text, start, len(text))
            states.append(state)
            matched.append(hit)
        return GrowingToken(start, len(text), tuple(states), tuple(matched))

    def extend(self, candidates: Sequence[Terminal], token: GrowingToken, text: str) -> GrowingToken:
        """``token`` after reading ``text[token.end:]`` too (``text`` extends the text it was read from)."""
        if token.end == len(text):
            return token
        states = list(token.states)
        matched = list(token.matched)
        for i, term in enumerate(candidates):
            if states[i] < 0:  # DEAD stays dead; REGEX has nothing to extend
                continue
            dfa = self.dfa(term)
            assert dfa is not None
            states[i], hit = dfa.advance(states[i], text, token.end, len(text))
            matched[i] = matched[i] or hit
        return GrowingToken(token.start, len(text), tuple(states), tuple(matched))

    @staticmethod
    def by_regex(candidates: Sequence[Terminal], start: int, end: int) -> GrowingToken:
        """A token whose candidates are all asked through their regexps (when a DFA proved too narrow)."""
        return GrowingToken(start, end, (REGEX,) * len(candidates), (False,) * len(candidates))

    @staticmethod
    def settle(candidates: Sequence[Terminal], token: GrowingToken, text: str) -> GrowingToken:
        """``token`` with each ``REGEX`` candidate whose regexp can no longer match marked ``DEAD``
        (failing to match a prefix is final: no continuation can undo it)."""
        if REGEX not in token.states:
            return token
        states = tuple(
            DEAD
            if state == REGEX and term.pattern.fullmatch(text, token.start, partial=True) is None
            else state
            for term, state in zip(candidates, token.states, strict=True)
        )
        return GrowingToken(token.start, token.end, states, token.matched)


def _build(term: Terminal) -> TokenDFA | None:
    if term.pattern.flags != _DEFAULT_FLAGS:
        return None
    try:
        fsm = interegular.parse_pattern(term.pattern.pattern).to_fsm()
    except Exception:  # interegular.Unsupported, InvalidSyntax, or whatever its parser meets
        return None
    if len(fsm.states) > MAX_DFA_STATES:
        return None
    return TokenDFA(compile_fsm(with_other(fsm)))
