"""Trace properties as automata over a chain's symbols.

A run's trace is the string of the symbols of the nodes it executed (see ``control``). Event regular
expressions are written over event *names*; they are translated to regular expressions over symbols, in
which the symbols of steps without events (assignments, branches) may appear anywhere. The resulting
automaton's tables are read once into a ``TraceAutomaton``, whose ``step`` the verifier and the runtime
monitor both use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..checks.automaton import Automaton
from ..errors import ConfigurationError
from .control import ControlGraph
from .languages import automaton_fsm

__all__ = ["DEAD", "TraceAutomaton", "char_class", "event_regex", "symbols_of"]

DEAD = -1
#: A private-use character no node ever gets: the class that matches nothing.
_NOTHING = "\uf8ff"

_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<any>\.)|(?P<open>\()|(?P<close>\))|(?P<bar>\|)"
    r"|(?P<repeat>[*+?]|\{\d+(?:,\d*)?\})|(?P<set>\[\^?[^\]]*\])"
)


class TraceAutomaton:
    """A property automaton driven by a control graph's symbols: ``step`` returns ``DEAD`` once no
    continuation of the trace *by symbols the chain can emit* can satisfy the property. ``translate`` maps a
    symbol to the automaton's own character (None: the automaton does not see that symbol)."""

    def __init__(self, automaton: Automaton, symbols: str, translate: Mapping[str, str | None] | None = None):
        self.automaton = automaton
        fsm = automaton_fsm(automaton)
        order = sorted(fsm.states, key=repr)
        number = {s: i for i, s in enumerate(order)}
        raw: dict[tuple[int, str], int] = {}
        for state in order:
            row = fsm.map.get(state, {})
            for symbol in symbols:
                char = translate.get(symbol, symbol) if translate is not None else symbol
                if char is None:
                    raw[(number[state], symbol)] = number[state]
                    continue
                target = row.get(fsm.alphabet[char])
                if target is not None:
                    raw[(number[state], symbol)] = number[target]
        # Live: an accepting state is reachable using only the symbols the chain has.
        live = {number[s] for s in fsm.finals}
        changed = True
        while changed:
            changed = False
            for (source, _), target in raw.items():
                if target in live and source not in live:
                    live.add(source)
                    changed = True
        self.start = number[fsm.initial] if number[fsm.initial] in live else DEAD
        self.accepting = frozenset(number[s] for s in fsm.finals)
        self._table = {key: (target if target in live else DEAD) for key, target in raw.items()}

    def step(self, state: int, symbol: str) -> int:
        if state == DEAD:
            return DEAD
        return self._table.get((state, symbol), DEAD)

    def accepts(self, state: int) -> bool:
        return state in self.accepting


def symbols_of(graph: ControlGraph, event: str, what: str) -> str:
    """The symbols of the steps that emit ``event``; an error naming the chain's events if none does."""
    found = graph.symbols_of_event(event)
    if not found:
        known = ", ".join(sorted(graph.chain.events))
        raise ConfigurationError(
            f"{what}: no step of chain {graph.chain.name!r} emits the event {event!r}; "
            f"its events are: {known}"
        )
    return found


def char_class(chars: str, *, negated: bool = False) -> str:
    body = "".join(sorted(set(chars)))
    if negated:
        return f"[^{body}]" if body else "[\\s\\S]"
    return f"[{body or _NOTHING}]"


def event_regex(pattern: str, graph: ControlGraph) -> str:
    """``pattern`` over event names, as a regular expression over ``graph``'s symbols.

    Syntax: event names, ``.`` (any event), ``[a b]`` and ``[^a b]`` (sets), ``( )``, ``|``, ``* + ?``
    and ``{m,n}``; names are separated by spaces. Steps without events may occur anywhere in between.
    """
    what = f"event pattern {pattern!r}"
    silent = graph.silent_symbols
    gap = f"{char_class(silent)}*" if silent else ""
    out: list[str] = []
    position = 0
    while position < len(pattern):
        match = _TOKEN.match(pattern, position)
        if match is None:
            raise ConfigurationError(
                f"{what}: unexpected {pattern[position]!r} at position {position}; write event names, '.', "
                "'[a b]', '[^a b]', '( )', '|', '*', '+', '?' or '{m,n}'"
            )
        kind, text = match.lastgroup, match.group()
        position = match.end()
        if kind == "space":
            continue
        if kind == "name":
            out.append(f"(?:{char_class(symbols_of(graph, text, what))}{gap})")
        elif kind == "any":
            out.append(f"(?:{char_class(graph.event_symbols)}{gap})")
        elif kind == "set":
            negated = text.startswith("[^")
            names = re.split(r"[\s,]+", text[2 if negated else 1 : -1].strip())
            chosen = "".join(symbols_of(graph, n, what) for n in names if n)
            chars = "".join(c for c in graph.event_symbols if c not in chosen) if negated else chosen
            out.append(f"(?:{char_class(chars)}{gap})")
        elif kind == "open":
            out.append("(?:")
        else:
            out.append(text)
    return gap + "(?:" + "".join(out) + ")"
