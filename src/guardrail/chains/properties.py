"""Properties of chains, in Python and in the short text syntax of ``guardrail verify --property``.

Three kinds:

* ``Terminates(k)`` — every run makes at most ``k`` model calls (one call = one model step; its Guard may
  repeat the request up to the step's ``attempts``) and ends;
* trace properties — every run's sequence of events stays within a regular language: ``Never(a,
  before=b)``, ``EventRegex(...)``, ``EventDFA(...)``, ``TraceAutomaton``-backed ``AutomatonProperty``,
  ``ResultsUsed()``, ``Defined()``. A finished run's trace ends with the event ``final`` and must be
  accepted; every prefix must still be completable (that is what a monitor enforces step by step);
* ``FinalPasses(check)`` — the final output always passes ``check``.

Text syntax (one property per ``--property``):

=================================  ========================================================
``terminates:K``                   at most K model calls on every run (also ``terminates within K``)
``never A before B``               no event A until an event B has happened
``never A after B``                no event A once an event B has happened
``never A``                        no event A at all
``regex:PATTERN``                  the trace matches PATTERN (event names, ``. [a b] [^a] ( ) | * + ?``)
``every tool result is used``      each tool's result is read by a later step before it is replaced or the
                                   chain ends
``defined``                        every value is defined before a step reads it
``final:GRAMMAR``                  the final output parses with a shipped grammar name or a .lark path
``final-regex:PATTERN``            the final output fully matches a regular expression
=================================  ========================================================
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..checks.automaton import Automaton, Symbol
from ..checks.base import Check
from ..checks.grammar import Grammar
from ..errors import ConfigurationError
from .chain import ToolStep
from .control import ControlGraph, Node
from .events import TraceAutomaton, char_class, event_regex, symbols_of

__all__ = [
    "AutomatonProperty",
    "Defined",
    "EventDFA",
    "EventRegex",
    "FinalPasses",
    "Never",
    "Property",
    "ResultsUsed",
    "Terminates",
    "TraceProperty",
    "parse_property",
]


class Property(ABC):
    """Something every run of a chain should satisfy."""

    @property
    @abstractmethod
    def text(self) -> str:
        """How the property reads (its text syntax where it has one)."""

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Terminates(Property):
    """Every run ends after at most ``max_model_calls`` model calls."""

    max_model_calls: int

    def __post_init__(self) -> None:
        if self.max_model_calls < 0:
            raise ConfigurationError(f"terminates: the bound must be >= 0, not {self.max_model_calls}")

    @property
    def text(self) -> str:
        return f"terminates:{self.max_model_calls}"


@dataclass(frozen=True)
class FinalPasses(Property):
    """The final output (a text) always passes ``check``."""

    check: Check
    label: str | None = None

    @property
    def text(self) -> str:
        return self.label or f"final:{self.check.name}"


class TraceProperty(Property):
    """A regular language of traces; ``automaton(graph)`` builds it over the graph's symbols."""

    @abstractmethod
    def automaton(self, graph: ControlGraph) -> TraceAutomaton: ...


def _complement_of(bad: str, graph: ControlGraph, name: str) -> TraceAutomaton:
    return TraceAutomaton(~Automaton.regex(bad, name=f"bad traces of {name}"), graph.symbols)


@dataclass(frozen=True)
class Never(TraceProperty):
    """No event ``event`` (at all, or ``before`` some event ``before``, or ``after`` some event ``after``)."""

    event: str
    before: str | None = None
    after: str | None = None

    def __post_init__(self) -> None:
        if self.before is not None and self.after is not None:
            raise ConfigurationError("Never(...) takes before= or after=, not both")

    @property
    def text(self) -> str:
        if self.before is not None:
            return f"never {self.event} before {self.before}"
        if self.after is not None:
            return f"never {self.event} after {self.after}"
        return f"never {self.event}"

    def automaton(self, graph: ControlGraph) -> TraceAutomaton:
        what = f"property {self.text!r}"
        bad_event = char_class(symbols_of(graph, self.event, what))
        anything = "[\\s\\S]*"
        if self.before is not None:
            # A chain with no step emitting ``before`` is fine: then the event is simply never allowed. (The
            # other names must exist: a misspelt one would make the property hold vacuously.)
            enabling = graph.symbols_of_event(self.before)
            bad = f"{char_class(enabling, negated=True)}*{bad_event}{anything}"
        elif self.after is not None:
            enabling = char_class(symbols_of(graph, self.after, what))
            bad = f"{anything}{enabling}{anything}{bad_event}{anything}"
        else:
            bad = f"{anything}{bad_event}{anything}"
        return _complement_of(bad, graph, self.text)


@dataclass(frozen=True)
class EventRegex(TraceProperty):
    """Every finished trace matches ``pattern`` (over event names; see ``events.event_regex``)."""

    pattern: str

    @property
    def text(self) -> str:
        return f"regex:{self.pattern}"

    def automaton(self, graph: ControlGraph) -> TraceAutomaton:
        return TraceAutomaton(
            Automaton.regex(event_regex(self.pattern, graph), name=self.text), graph.symbols
        )


class EventDFA(TraceProperty):
    """A DFA over event names: ``transitions[state][event] -> state`` (``"*"`` for every other event).
    A missing transition rejects; a finished trace (ending with ``final``) must end in ``accepting``."""

    def __init__(
        self,
        states: Iterable[Hashable],
        start: Hashable,
        accepting: Iterable[Hashable],
        transitions: Mapping[Hashable, Mapping[str, Hashable]],
        name: str = "event automaton",
    ):
        self.states = tuple(states)
        self.start = start
        self.accepting = frozenset(accepting)
        self.transitions = {s: dict(row) for s, row in transitions.items()}
        self.name = name

    @property
    def text(self) -> str:
        return self.name

    def automaton(self, graph: ControlGraph) -> TraceAutomaton:
        what = f"property {self.name!r}"
        for row in self.transitions.values():
            for event in row:
                if event != "*":
                    symbols_of(graph, event, what)
        table: dict[Hashable, dict[str | Symbol, Hashable]] = {}
        for state in self.states:
            row = self.transitions.get(state, {})
            table[state] = {}
            for node in graph.nodes:
                if not node.symbol:
                    continue
                if node.event is None:
                    table[state][node.symbol] = state  # steps without events leave the state alone
                elif node.event in row or "*" in row:
                    table[state][node.symbol] = row.get(node.event, row.get("*"))
        automaton = Automaton.dfa(
            self.states, graph.symbols, table, self.start, self.accepting, name=self.name
        )
        return TraceAutomaton(automaton, graph.symbols)


@dataclass(frozen=True)
class AutomatonProperty(TraceProperty):
    """An ``Automaton`` over characters of your choosing: ``symbols`` maps event names to them. Events not
    in ``symbols`` are invisible to the automaton."""

    check: Automaton
    symbols: Mapping[str, str]
    name: str | None = None

    @property
    def text(self) -> str:
        return self.name or self.check.name

    def automaton(self, graph: ControlGraph) -> TraceAutomaton:
        what = f"property {self.text!r}"
        for event, char in self.symbols.items():
            if event != "final":
                symbols_of(graph, event, what)
            if not (isinstance(char, str) and len(char) == 1):
                raise ConfigurationError(f"{what}: event {event!r} must map to one character, not {char!r}")
        translate = {n.symbol: self.symbols.get(n.event or "") for n in graph.nodes if n.symbol}
        return TraceAutomaton(self.check, graph.symbols, translate)


@dataclass(frozen=True)
class ResultsUsed(TraceProperty):
    """Each tool's result is read by a later step before it is replaced or the chain ends (tools whose
    return type is ``None`` are exempt)."""

    @property
    def text(self) -> str:
        return "every tool result is used"

    def automaton(self, graph: ControlGraph) -> TraceAutomaton:
        bad: list[str] = []
        final = next(n for n in graph.nodes if n.kind == "final")
        for tool in graph.nodes:
            if tool.kind != "tool" or tool.writes is None or returns_none(tool):
                continue
            value = tool.writes
            readers = "".join(n.symbol for n in graph.nodes if n.symbol and value in n.reads)
            writers = "".join(n.symbol for n in graph.nodes if n.symbol and n.writes == value)
            neutral = "".join(
                n.symbol
                for n in graph.nodes
                if n.symbol and n.symbol not in readers and n.symbol not in writers and n is not final
            )
            spoilers = "".join(c for c in writers if c not in readers)
            if final.symbol not in readers:
                spoilers += final.symbol
            bad.append(f"[\\s\\S]*{tool.symbol}{char_class(neutral)}*{char_class(spoilers)}[\\s\\S]*")
        if not bad:
            return TraceAutomaton(Automaton.regex("[\\s\\S]*", name=self.text), graph.symbols)
        return _complement_of("|".join(f"(?:{b})" for b in bad), graph, self.text)


def returns_none(node: Node) -> bool:
    """Whether ``node`` is a tool step declared to return None (it has no result to use)."""
    step = node.step
    if not isinstance(step, ToolStep):
        return False
    hints, _ = step.type_hints()
    return "return" in hints and hints["return"] is type(None)


@dataclass(frozen=True)
class Defined(TraceProperty):
    """Every value a step reads has been defined before (checked by exploring, not by an automaton)."""

    @property
    def text(self) -> str:
        return "defined"

    def automaton(self, graph: ControlGraph) -> TraceAutomaton:
        return TraceAutomaton(Automaton.regex("[\\s\\S]*", name=self.text), graph.symbols)


PROPERTY_SYNTAX = (
    "terminates:K, never A before B, never A after B, never A, regex:PATTERN, every tool result is used, "
    "defined, final:GRAMMAR, final-regex:PATTERN"
)


def parse_property(text: str) -> Property:
    """A property from its text syntax (see the module docstring)."""
    stripped = text.strip()
    if m := re.fullmatch(r"terminates(?::\s*|\s+within\s+)(\d+)(?:\s+model\s+calls?)?", stripped):
        return Terminates(int(m.group(1)))
    if m := re.fullmatch(r"never\s+(\w+)\s+(before|after)\s+(\w+)", stripped):
        event, how, other = m.groups()
        return Never(event, before=other) if how == "before" else Never(event, after=other)
    if m := re.fullmatch(r"never\s+(\w+)", stripped):
        return Never(m.group(1))
    if stripped.startswith("regex:"):
        return EventRegex(stripped[len("regex:") :].strip())
    if re.fullmatch(r"every\s+tool\s+result\s+is\s+used|results-used", stripped):
        return ResultsUsed()
    if stripped in ("defined", "every value is defined before use"):
        return Defined()
    if stripped.startswith("final-regex:"):
        pattern = stripped[len("final-regex:") :]
        return FinalPasses(Automaton.regex(pattern), label=stripped)
    if stripped.startswith("final:"):
        name = stripped[len("final:") :].strip()
        grammar = Grammar.from_file(Path(name) if name.endswith(".lark") else name)
        return FinalPasses(grammar, label=stripped)
    raise ConfigurationError(f"cannot read the property {text!r}; write one of: {PROPERTY_SYNTAX}")
