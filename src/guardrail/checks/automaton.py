"""``Automaton``: a check by a finite automaton, built from a regular expression or an explicit DFA.

The regex-to-automaton construction and the boolean operations (``&``, ``|``, ``~``, ``-``) are
interegular's. This module compiles interegular's FSM into flat tables once, then judges outputs by walking
them: one table step per character, so matching is linear in the output whatever the pattern, and patterns
that make a backtracking engine explode (``(a+)+$`` against ``"a" * 30 + "!"``) cost nothing special.

Semantics, stated once:

* full match on the whole output (``^`` and ``$`` at the very ends of a pattern are accepted and ignored);
* ``\\d``, ``\\w``, ``\\s`` have their ASCII meaning (as with ``re.ASCII``), ``.`` excludes ``\\n`` unless
  ``(?s)``, ``(?i)`` folds case one character at a time, and every character outside the pattern's alphabet
  (any Unicode, lone surrogates, NUL) is simply a character the automaton does or does not accept; it never
  raises;
* transitions into states that can no longer reach acceptance are pruned, so the automaton "dies" at the
  first character after which no continuation could be accepted; that is where ``check`` reports the error,
  and exactly what ``viable`` answers.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from enum import Enum
from typing import Any

import interegular
from interegular.fsm import FSM, Alphabet, anything_else
from interegular.utils.simple_parser import NoMatch

from guardrail._text import clip, show_char
from guardrail.checks.base import DEFAULT_MAX_CHARS, Check, ErrorDetail, Verdict, line_and_column, too_long
from guardrail.checks.dfa import DEAD, Tables, compile_fsm, with_other
from guardrail.errors import ConfigurationError

__all__ = ["OTHER", "Automaton", "Symbol"]


class Symbol(Enum):
    """Special alphabet symbols for ``Automaton.dfa``."""

    #: Stands for every character not listed in the alphabet.
    OTHER = "any other character"


OTHER = Symbol.OTHER

_DEAD = DEAD
#: How many characters or ranges an "expected ..." description lists before summarising the rest.
_MAX_LISTED = 12
#: Characters tried, in order, when an example must show "some character outside the alphabet".
_PREFERRED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:;!?"


class Automaton(Check):
    """Accepts exactly the outputs in a regular language.

    Build one with ``Automaton.regex(pattern)`` or ``Automaton.dfa(...)``; combine with ``a & b`` (both),
    ``a | b`` (either), ``~a`` (anything but) and ``a - b``. The accepted value is the text itself.
    """

    def __init__(self, fsm: Any, *, name: str = "automaton", max_chars: int = DEFAULT_MAX_CHARS):
        """Wrap an ``interegular.FSM`` (prefer the ``regex`` and ``dfa`` constructors)."""
        if not isinstance(fsm, FSM):
            raise ConfigurationError(
                f"Automaton needs an interegular FSM, got {type(fsm).__name__}; "
                "use Automaton.regex(pattern) or Automaton.dfa(...) instead"
            )
        if max_chars < 0:
            raise ConfigurationError(f"max_chars must be >= 0, got {max_chars}")
        self._fsm = with_other(fsm)
        self._state_names: tuple[Any, ...] = tuple(sorted(self._fsm.states, key=repr))
        self._tables = compile_fsm(self._fsm, self._state_names)
        # For each state, the class of a first step along a shortest path to acceptance (for examples).
        self._toward = tuple(_first_step(self._tables, s) for s in range(len(self._state_names)))
        self.name = name
        self.max_chars = max_chars
        # The last prefix viable() saw and the state it led to: a stream's prefixes grow one token at a
        # time, so resuming from here keeps a whole stream's checks linear instead of quadratic.
        self._last_prefix: tuple[str, int] = ("", self._tables.start)
        self._expected_cache: dict[int, str] = {}

    # ----------------------------------------------------------------------------------------- builders

    @classmethod
    def regex(cls, pattern: str, *, name: str | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> Automaton:
        """The automaton of a Python regular expression, matched against whole outputs.

        Raises ``ConfigurationError`` naming the pattern and the position of the problem when the pattern is
        malformed or uses something no finite automaton can do (backreferences, lookbehind, ``\\b``).
        """
        if not isinstance(pattern, str):
            raise ConfigurationError(f"a regex pattern must be a str, got {type(pattern).__name__}")
        try:
            re.compile(pattern)
        except re.error as e:
            raise ConfigurationError(
                f"bad regular expression {pattern!r} at position {e.pos}: {e.msg}; fix the pattern"
            ) from None
        body, offset = _strip_anchors(_literal_code_points(pattern))
        try:
            fsm = interegular.parse_pattern(body).to_fsm()
        except (interegular.Unsupported, interegular.InvalidSyntax, ValueError) as e:
            # interegular's parser reports where it stopped through a NoMatch, raised or chained.
            stopped = e if isinstance(e, NoMatch) else e.__context__
            if isinstance(stopped, NoMatch):
                at = stopped.index + offset
                raise ConfigurationError(
                    f"regular expression {pattern!r} cannot be compiled to an automaton at position {at} "
                    f"(near {pattern[at : at + 10]!r}); escape literal '{{' and '}}', and use only what "
                    "a finite automaton can express"
                ) from None
            raise ConfigurationError(
                f"regular expression {pattern!r} uses something a finite automaton cannot express "
                f"({e or type(e).__name__}); rewrite it without backreferences, lookbehind, \\b or "
                "anchors other than a leading ^ and a trailing $"
            ) from None
        return cls(fsm, name=name or f"regex({clip(pattern, 60)!r})", max_chars=max_chars)

    @classmethod
    def dfa(
        cls,
        states: Iterable[Hashable],
        alphabet: Iterable[str | Symbol],
        transitions: Mapping[Hashable, Mapping[str | Symbol, Hashable]],
        start: Hashable,
        accepting: Iterable[Hashable],
        *,
        name: str = "dfa",
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> Automaton:
        """An explicit DFA: ``transitions[state][symbol] -> state``; missing transitions reject.

        Symbols are single characters, or ``OTHER`` for "every character not in the alphabet". A
        character that is neither listed nor covered by ``OTHER`` rejects the output.
        """
        state_list = list(dict.fromkeys(states))
        index = {s: i for i, s in enumerate(state_list)}
        symbols = list(dict.fromkeys(alphabet))
        for sym in symbols:
            if sym is not OTHER and not (isinstance(sym, str) and len(sym) == 1):
                raise ConfigurationError(
                    f"{name}: alphabet symbol {sym!r} is not a single character "
                    "(use Automaton.OTHER for 'any other character')"
                )
        if start not in index:
            raise ConfigurationError(f"{name}: start state {start!r} is not one of the states {state_list!r}")
        finals = list(dict.fromkeys(accepting))
        for f in finals:
            if f not in index:
                raise ConfigurationError(
                    f"{name}: accepting state {f!r} is not one of the states {state_list!r}"
                )
        keys: dict[Any, Any] = {(anything_else if s is OTHER else s): k for k, s in enumerate(symbols)}
        fsm_map: dict[int, dict[int, int]] = {i: {} for i in range(len(state_list))}
        for source, row in transitions.items():
            if source not in index:
                raise ConfigurationError(
                    f"{name}: transitions given from {source!r}, "
                    f"which is not one of the states {state_list!r}"
                )
            for sym, target in row.items():
                key = anything_else if sym is OTHER else sym
                if key not in keys:
                    raise ConfigurationError(
                        f"{name}: transition from {source!r} on {sym!r}, which is not in the alphabet"
                    )
                if target not in index:
                    raise ConfigurationError(
                        f"{name}: transition from {source!r} on {sym!r} goes to {target!r}, "
                        "which is not a state"
                    )
                fsm_map[index[source]][keys[key]] = index[target]
        fsm = FSM(
            alphabet=Alphabet(keys),
            states=set(range(len(state_list))),
            initial=index[start],
            finals={index[f] for f in finals},
            map=fsm_map,
        )
        return cls(fsm, name=name, max_chars=max_chars)

    OTHER = OTHER

    # ------------------------------------------------------------------------------------ the algebra

    def __and__(self, other: Automaton) -> Automaton:
        if not isinstance(other, Automaton):
            return NotImplemented
        return self._combined(other, self._fsm & other._fsm, "&")

    def __or__(self, other: Automaton) -> Automaton:
        if not isinstance(other, Automaton):
            return NotImplemented
        return self._combined(other, self._fsm | other._fsm, "|")

    def __sub__(self, other: Automaton) -> Automaton:
        if not isinstance(other, Automaton):
            return NotImplemented
        return self._combined(other, self._fsm - other._fsm, "-")

    def __invert__(self) -> Automaton:
        # Every FSM here has an "anything else" symbol (see dfa.with_other), so the complement also
        # accepts texts with characters this automaton never mentions.
        return Automaton(self._fsm.everythingbut(), name=f"~{self.name}", max_chars=self.max_chars)

    def _combined(self, other: Automaton, fsm: Any, op: str) -> Automaton:
        name = f"({self.name} {op} {other.name})"
        return Automaton(fsm, name=name, max_chars=min(self.max_chars, other.max_chars))

    def residual(self, prefix: str) -> Automaton:
        """The automaton of the suffixes that complete ``prefix`` (empty when ``prefix`` is not viable)."""
        state, consumed = self._walk(prefix, self._tables.start)
        if state == _DEAD or consumed < len(prefix):
            fsm = FSM(self._fsm.alphabet, self._fsm.states, self._fsm.initial, set(), self._fsm.map)
        else:
            fsm = FSM(
                self._fsm.alphabet,
                self._fsm.states,
                self._state_names[state],
                self._fsm.finals,
                self._fsm.map,
            )
        return Automaton(fsm, name=f"{self.name} after {clip(prefix, 30)!r}", max_chars=self.max_chars)

    # ---------------------------------------------------------------------------------------- queries

    @property
    def fsm(self) -> Any:
        """The underlying ``interegular.FSM`` (read-only use: other analyses walk it)."""
        return self._fsm

    def is_empty(self) -> bool:
        """True when no text at all is accepted."""
        return self._tables.start == _DEAD

    def example(self) -> str | None:
        """A shortest accepted text (deterministic), or None when the language is empty."""
        return self._completion_from(self._tables.start)

    def completion(self, prefix: str) -> str | None:
        """A shortest suffix that makes ``prefix`` accepted, or None when ``prefix`` is not viable."""
        state, consumed = self._walk(prefix, self._tables.start)
        if state == _DEAD or consumed < len(prefix):
            return None
        return self._completion_from(state)

    def accepts(self, text: str) -> bool:
        """Whether the whole of ``text`` is in the language (no length limit: this is not a verdict)."""
        state, consumed = self._walk(text, self._tables.start)
        return state != _DEAD and consumed == len(text) and state in self._tables.accepting

    def viable(self, prefix: str) -> bool:
        """False exactly when no continuation of ``prefix`` is accepted (nor any over ``max_chars``)."""
        if not isinstance(prefix, str) or len(prefix) > self.max_chars:
            return False
        last_prefix, last_state = self._last_prefix
        if prefix.startswith(last_prefix):
            if last_state == _DEAD:
                return False
            state, consumed = self._walk(prefix[len(last_prefix) :], last_state)
            dead = consumed < len(prefix) - len(last_prefix)
        else:
            state, consumed = self._walk(prefix, self._tables.start)
            dead = consumed < len(prefix)
        ok = state != _DEAD and not dead
        self._last_prefix = (prefix, state if ok else _DEAD)
        return ok

    def check(self, value: Any) -> Verdict:
        if not isinstance(value, str):
            raise ConfigurationError(
                f"{self.name} checks text, but was given a {type(value).__name__}; "
                "put the automaton before any check that parses or converts the text"
            )
        if (rejection := too_long(self.name, value, self.max_chars)) is not None:
            return rejection
        tables = self._tables
        if tables.start == _DEAD:
            return Verdict.reject(
                ErrorDetail(
                    check=self.name,
                    code="automaton.empty",
                    message="this automaton accepts no text at all (its language is empty)",
                    feedback="No answer can pass this check; it accepts nothing.",
                    offset=0,
                )
            )
        state, consumed = self._walk(value, tables.start)
        if consumed < len(value):
            return Verdict.reject(self._died_at(value, consumed, state))
        if state not in tables.accepting:
            expected = self._expected(state)
            line, column = line_and_column(value, len(value))
            return Verdict.reject(
                ErrorDetail(
                    check=self.name,
                    code="automaton.incomplete",
                    message=(
                        f"the output ended in a non-accepting state at offset {len(value)}; "
                        f"expected {expected}"
                    ),
                    feedback=f"The answer is incomplete: it ended where {expected} was expected.",
                    expected=expected,
                    line=line,
                    column=column,
                    offset=len(value),
                )
            )
        return Verdict.accept(value)

    # --------------------------------------------------------------------------------------- internals

    def _walk(self, text: str, state: int) -> tuple[int, int]:
        """Run from ``state``: (the last live state, how many characters were consumed).

        Fewer characters consumed than ``len(text)`` means the automaton died on the next one.
        """
        return self._tables.walk(text, state)

    def _died_at(self, text: str, offset: int, state: int) -> ErrorDetail:
        expected = self._expected(state)
        found = show_char(text[offset])
        line, column = line_and_column(text, offset)
        return ErrorDetail(
            check=self.name,
            code="automaton.no_match",
            message=(
                f"unexpected {found} at line {line}, column {column} (offset {offset}); expected {expected}"
            ),
            feedback=f"At line {line}, column {column}: expected {expected}, but found {found}.",
            expected=expected,
            line=line,
            column=column,
            offset=offset,
            found=found,
        )

    def _expected(self, state: int) -> str:
        """What the automaton would have accepted in ``state``, in words."""
        cached = self._expected_cache.get(state)
        if cached is None:
            cached = self._expected_cache[state] = _describe(self._tables, state)
        return cached

    def _completion_from(self, state: int) -> str | None:
        tables = self._tables
        if state == _DEAD:
            return None
        out: list[str] = []
        while tables.distance[state] > 0:
            cls = self._toward[state]
            out.append(_representative(tables, cls))
            state = tables.rows[state][cls]
        return "".join(out)


# ------------------------------------------------------------------------------------------ compilation


def _first_step(tables: Tables, state: int) -> int:
    """The class to follow from ``state`` along a shortest path to acceptance (the nicest character wins)."""
    if tables.distance[state] <= 0:
        return _DEAD
    steps = [
        c
        for c, target in enumerate(tables.rows[state])
        if target != _DEAD and tables.distance[target] == tables.distance[state] - 1
    ]
    return min(steps, key=lambda c: _niceness(_representative(tables, c)))


def _niceness(char: str) -> tuple[int, str]:
    rank = _PREFERRED.find(char)
    return (rank if rank >= 0 else len(_PREFERRED) + (0 if char.isprintable() else 1), char)


def _representative(tables: Tables, cls: int) -> str:
    """One character of a class: its nicest listed one, or for "other" one that is listed nowhere."""
    if tables.members[cls]:
        return min(tables.members[cls], key=_niceness)
    for char in _PREFERRED:
        if char not in tables.classes:
            return char
    code = 0xA1
    while chr(code) in tables.classes or not chr(code).isprintable():
        code += 1
    return chr(code)


def _describe(tables: Tables, state: int) -> str:
    allowed = {c for c, target in enumerate(tables.rows[state]) if target != _DEAD}
    ending = state in tables.accepting
    if tables.other in allowed:
        excluded = sorted(ch for ch, c in tables.classes.items() if c not in allowed)
        chars = "any character" + (f" except {_list_chars(excluded)}" if excluded else "")
    elif allowed:
        listed = sorted(ch for c in allowed for ch in tables.members[c])
        chars = ("one of " if len(listed) > 1 else "") + _list_chars(listed)
    else:
        return "the end of the text"
    return chars + (" or the end of the text" if ending else "")


def _list_chars(chars: list[str]) -> str:
    """Sorted characters as quoted singles and ranges: ``'0'-'9', '.', 'e'``."""
    items: list[str] = []
    i = 0
    while i < len(chars):
        j = i
        while j + 1 < len(chars) and ord(chars[j + 1]) == ord(chars[j]) + 1:
            j += 1
        if j - i >= 2:
            items.append(f"{show_char(chars[i])}-{show_char(chars[j])}")
        else:
            items.extend(show_char(ch) for ch in chars[i : j + 1])
        i = j + 1
    if len(items) > _MAX_LISTED:
        items = [*items[:_MAX_LISTED], f"… ({len(items) - _MAX_LISTED} more)"]
    return ", ".join(items)


def _strip_anchors(pattern: str) -> tuple[str, int]:
    """``pattern`` without a leading ``^``/``\\A`` and a trailing unescaped ``$``/``\\Z`` (full match makes
    them redundant), and how many characters were cut from the front."""
    start = 0
    if pattern.startswith("^"):
        start = 1
    elif pattern.startswith("\\A"):
        start = 2
    end = len(pattern)
    backslashes_before = len(pattern[: end - 1]) - len(pattern[: end - 1].rstrip("\\"))
    if pattern.endswith("$") and backslashes_before % 2 == 0 and end - 1 >= start:
        end -= 1
    elif pattern.endswith("\\Z") and end - 2 >= start:
        before = pattern[: end - 2]
        if (len(before) - len(before.rstrip("\\"))) % 2 == 0:
            end -= 2
    return pattern[start:end], start


_CODE_POINT = re.compile(r"(?<!\\)((?:\\\\)*)\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))")


def _literal_code_points(pattern: str) -> str:
    """``pattern`` with ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes written as the characters themselves.

    interegular reads literal characters but not these escapes (Python's re reads both). A punctuation
    character that results keeps a backslash, so it stays a literal.
    """

    def literal(match: re.Match[str]) -> str:
        char = chr(int(match.group(2) or match.group(3), 16))
        escaped = "\\" + char if char.isascii() and not char.isalnum() and char.isprintable() else char
        return match.group(1) + escaped

    return _CODE_POINT.sub(literal, pattern)
