"""Questions about regular languages that the ``Automaton`` check does not answer itself: is it finite,
and which texts does it hold? Answered on interegular's FSM tables."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from interegular.fsm import FSM, anything_else

from ..checks.automaton import Automaton, Symbol

__all__ = ["automaton_fsm", "finite_texts", "literal", "live_states"]


def automaton_fsm(automaton: Automaton) -> Any:
    """The interegular FSM inside an ``Automaton``."""
    fsm = automaton.fsm
    assert isinstance(fsm, FSM)
    return fsm


def live_states(fsm: Any) -> set[Any]:
    """The states from which an accepting state can be reached."""
    predecessors: dict[Any, set[Any]] = {}
    for source, row in fsm.map.items():
        for target in row.values():
            predecessors.setdefault(target, set()).add(source)
    live = set(fsm.finals)
    pending = list(live)
    while pending:
        state = pending.pop()
        for p in predecessors.get(state, ()):
            if p not in live:
                live.add(p)
                pending.append(p)
    return live


def finite_texts(fsm: Any, limit: int) -> list[str] | None:
    """Every text of the language, shortest first, or None when there are more than ``limit`` of them
    (an infinite language, or "any other character" on a path to acceptance)."""
    live = live_states(fsm)
    if fsm.initial not in live:
        return []
    chars_of: dict[Any, list[Any]] = {}
    for symbol, key in fsm.alphabet.items():
        chars_of.setdefault(key, []).append(symbol)
    # A cycle through live states means infinitely many texts.
    on_path: set[Any] = set()
    done: set[Any] = set()

    def has_cycle(state: Any) -> bool:
        stack: list[tuple[Any, list[Any]]] = [(state, _live_targets(fsm, state, live))]
        on_path.add(state)
        while stack:
            current, targets = stack[-1]
            if not targets:
                stack.pop()
                on_path.discard(current)
                done.add(current)
                continue
            target = targets.pop()
            if target in on_path:
                return True
            if target not in done:
                on_path.add(target)
                stack.append((target, _live_targets(fsm, target, live)))
        return False

    if has_cycle(fsm.initial):
        return None
    texts: list[str] = []
    frontier: list[tuple[Any, str]] = [(fsm.initial, "")]
    while frontier:
        following: list[tuple[Any, str]] = []
        for state, text in frontier:
            if state in fsm.finals:
                texts.append(text)
                if len(texts) > limit:
                    return None
            for key, target in sorted(fsm.map.get(state, {}).items(), key=lambda kv: repr(kv[0])):
                if target not in live:
                    continue
                chars = chars_of.get(key, [])
                if any(c is anything_else for c in chars):
                    return None
                for c in sorted(c for c in chars if isinstance(c, str) and len(c) == 1):
                    following.append((target, text + c))
                if len(following) > limit * 4:
                    return None
        frontier = following
    return texts


def _live_targets(fsm: Any, state: Any, live: set[Any]) -> list[Any]:
    return [t for t in set(fsm.map.get(state, {}).values()) if t in live]


def literal(text: str, name: str | None = None) -> Automaton:
    """The automaton accepting exactly ``text``."""
    states = list(range(len(text) + 1))
    transitions: dict[Hashable, Mapping[str | Symbol, Hashable]] = {i: {c: i + 1} for i, c in enumerate(text)}
    return Automaton.dfa(states, sorted(set(text)), transitions, 0, [len(text)], name=name or repr(text))
