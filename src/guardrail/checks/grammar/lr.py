"""Driving a Lark LALR parse table and contextual lexer token by token, without building a tree.

Lark's own ``InteractiveParser`` keeps a value stack and deep-copies it on every ``copy()`` and for each
terminal ``accepts()`` tries, which makes prefix checks on a long stream quadratic. Viability and
extraction only need the LR *states*, so this module keeps them in a persistent linked stack: feeding a
token never mutates an older stack, and keeping a snapshot of the parse at any token costs nothing.

It reads Lark's parse table (``states``, ``start_states``, ``end_states``) and the contextual lexer's
per-state terminal sets; both are the same objects Lark's own parser uses, so the language judged here is
exactly the language ``Lark.parse`` accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regex
from lark import Lark, Token
from lark.lexer import PatternStr, TerminalDef
from lark.parsers.lalr_analysis import Shift

END = "$END"

#: A parse-table action: the state to shift to, or a reduction (length of the rule, name of the rule).
Action = int | tuple[int, str]

# Terminal regexps whose match can depend on text *after* the match: a lookahead, a word boundary or an
# end anchor. For them "this token is complete" cannot be decided from a prefix.
_LOOKS_AHEAD = regex.compile(r"\(\?[=!]|\\[bBZz]|\$")


@dataclass(frozen=True, slots=True, eq=False)
class Stack:
    """One LR parse stack, as an immutable linked list of states (top first)."""

    state: int
    below: Stack | None
    depth: int


@dataclass(frozen=True, slots=True, eq=False)
class Run:
    """How far a left-to-right parse from ``start`` got: the stack and position where it stopped (at the
    end, or before the first token the grammar rejects), and the last position where it could have ended."""

    start: int
    stack: Stack
    stopped: int
    accepted_end: int | None


@dataclass(frozen=True, slots=True)
class Terminal:
    name: str
    pattern: regex.Pattern[str]
    ignored: bool
    literal: str | None  # the text of a string terminal ("{", "true"), else None


@dataclass(frozen=True, slots=True)
class StateLexer:
    """The terminals Lark's contextual lexer tries in one parser state, in Lark's priority order."""

    candidates: tuple[Terminal, ...]  # every terminal this state may produce (partial-match checks)
    scan_order: tuple[Terminal, ...]  # the order Lark's scanner tries them (string keywords folded in)
    unless: dict[str, Any]  # Lark's callbacks that turn e.g. a NAME "true" into the keyword TRUE
    # The same two jobs as one C-level regex each (one call per token instead of one per terminal):
    # ``reach_end`` is the alternation of all candidates, ``scanner`` of scan_order; both with named groups.
    reach_end: regex.Pattern[str] | None
    scanner: regex.Pattern[str] | None

    def may_reach_end(self, text: str, pos: int, end: int | None = None) -> bool:
        """Whether some candidate token starting at ``pos`` could run to ``end`` (default: the end of
        ``text``) and beyond."""
        stop = len(text) if end is None else end
        if self.reach_end is not None:
            return self.reach_end.fullmatch(text, pos, stop, partial=True) is not None
        return any(
            term.pattern.fullmatch(text, pos, stop, partial=True) is not None for term in self.candidates
        )


def compile_terminal(term: TerminalDef, flags: int, ignored: bool) -> Terminal:
    literal = term.pattern.value if isinstance(term.pattern, PatternStr) and not term.pattern.flags else None
    return Terminal(str(term.name), regex.compile(term.pattern.to_regexp(), flags), ignored, literal)


class LRDriver:
    """Feeds terminals to Lark's LALR table and lexes with Lark's contextual lexer, one state at a time."""

    def __init__(self, lark: Lark, start: str):
        frontend: Any = lark.parser
        table: Any = frontend.parser._parse_table
        # Lark's table, with plain str keys (Lark's Token keys compare through Python code) and each
        # action as the state shifted to (an int) or the reduction (rule length, rule name).
        self._actions: dict[int, dict[str, Action]] = {
            state: {
                str(symbol): arg if kind is Shift else (len(arg.expansion), str(arg.origin.name))
                for symbol, (kind, arg) in actions.items()
            }
            for state, actions in table.states.items()
        }
        self.start_state: int = table.start_states[start]
        self.end_state: int = table.end_states[start]
        self._contextual: Any = frontend.lexer
        self._flags: int = lark.lexer_conf.g_regex_flags
        self.ignored: frozenset[str] = frozenset(str(name) for name in lark.lexer_conf.ignore)
        self.terminals: dict[str, TerminalDef] = {str(t.name): t for t in lark.terminals}
        self._compiled: dict[str, Terminal] = {}
        self._state_lexers: dict[int, StateLexer] = {}
        self.looks_ahead = any(_LOOKS_AHEAD.search(t.pattern.to_regexp()) for t in lark.terminals)

    # -- parser -----------------------------------------------------------------------------------

    def initial(self) -> Stack:
        return Stack(self.start_state, None, 1)

    def feed(self, stack: Stack, terminal: str) -> Stack | None:
        """The stack after shifting ``terminal`` (with any reductions before it), or None if rejected."""
        actions = self._actions
        while True:
            action = actions[stack.state].get(terminal)
            if action is None:
                return None
            if isinstance(action, int):
                return Stack(action, stack, stack.depth + 1)
            stack = self._reduce(stack, *action)

    def can_end(self, stack: Stack) -> bool:
        """Whether the input may stop here (``$END`` is accepted)."""
        actions = self._actions
        while True:
            action = actions[stack.state].get(END)
            if action is None or isinstance(action, int):
                return False
            stack = self._reduce(stack, *action)
            if stack.state == self.end_state:
                return True

    def _reduce(self, stack: Stack, size: int, rule: str) -> Stack:
        below: Stack | None = stack
        for _ in range(size):
            assert below is not None
            below = below.below
        assert below is not None
        goto = self._actions[below.state][rule]
        assert isinstance(goto, int)
        return Stack(goto, below, below.depth + 1)

    def acceptable(self, stack: Stack) -> set[str]:
        """The terminals (and ``$END``) that the parser really accepts next, not just LALR lookaheads."""
        symbols = self._actions[stack.state]
        found = {t for t in symbols if t.isupper() and t != END and self.feed(stack, t) is not None}
        if self.can_end(stack):
            found.add(END)
        return found

    @staticmethod
    def from_state_stack(states: list[int]) -> Stack:
        stack: Stack | None = None
        for depth, state in enumerate(states, start=1):
            stack = Stack(state, stack, depth)
        assert stack is not None
        return stack

    # -- lexer ------------------------------------------------------------------------------------

    def state_lexer(self, state: int) -> StateLexer:
        found = self._state_lexers.get(state)
        if found is None:
            basic: Any = self._contextual.lexers[state]
            scanner: Any = basic.scanner  # builds Lark's scanner and its keyword callbacks
            candidates = tuple(self._terminal(t) for t in basic.terminals)
            scan_order = tuple(self._terminal(t) for t in scanner.terminals)
            found = StateLexer(
                candidates=candidates,
                scan_order=scan_order,
                unless=dict(basic.callback),
                reach_end=self._alternation(candidates),
                scanner=self._alternation(scan_order),
            )
            self._state_lexers[state] = found
        return found

    def _alternation(self, terms: tuple[Terminal, ...]) -> regex.Pattern[str] | None:
        if not terms:
            return None
        parts = (f"(?P<{t.name}>{t.pattern.pattern})" for t in terms)
        try:
            return regex.compile("|".join(parts), self._flags)
        except regex.error:  # e.g. a terminal with its own named groups: fall back to one call per terminal
            return None

    def _terminal(self, term: TerminalDef) -> Terminal:
        name = str(term.name)
        found = self._compiled.get(name)
        if found is None:
            found = compile_terminal(term, self._flags, name in self.ignored)
            self._compiled[name] = found
        return found

    def scan(
        self, lexer: StateLexer, text: str, pos: int, endpos: int | None = None
    ) -> tuple[str, int] | None:
        """The token Lark's lexer reads at ``pos`` in this state: (terminal name, end), or None."""
        stop = len(text) if endpos is None else endpos
        if lexer.scanner is not None:
            m = lexer.scanner.match(text, pos, stop)
            if m is None:
                return None
            name = m.lastgroup
            assert name is not None
        else:
            for term in lexer.scan_order:
                m = term.pattern.match(text, pos, stop)
                if m is not None:
                    name = term.name
                    break
            else:
                return None
        callback = lexer.unless.get(name)
        if callback is None:
            return name, m.end()
        return str(callback(Token(name, m.group())).type), m.end()

    def run(self, text: str, start: int = 0, end: int | None = None) -> Run:
        """Read ``text[start:end]`` token by token for as long as the grammar allows."""
        stop = len(text) if end is None else end
        stack = self.initial()
        pos = start
        accepted: int | None = None
        while pos < stop:
            token = self.scan(self.state_lexer(stack.state), text, pos, stop)
            if token is None:
                break
            name, token_end = token
            if name not in self.ignored:
                fed = self.feed(stack, name)
                if fed is None:
                    break
                stack = fed
                if self.can_end(stack):
                    accepted = token_end
            pos = token_end
        return Run(start, stack, pos, accepted)
