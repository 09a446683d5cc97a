"""Deterministic automata as flat tables, compiled once from interegular's FSMs.

``Automaton`` judges outputs with them, and the grammar check follows a token that is still growing at
the end of a stream with them (``grammar/tokens.py``). A walk takes one table step per character, so it is
linear in the text whatever the pattern; transitions into states that can no longer reach acceptance are
pruned, so a walk stops at the first character after which no continuation could be accepted.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Final

from interegular.fsm import FSM, Alphabet, anything_else

#: The state of a walk that has died (and the target of every pruned transition).
DEAD: Final = -1


@dataclass(frozen=True, slots=True)
class Tables:
    """An automaton as arrays: walks and every precomputed question read only these."""

    classes: dict[str, int]  # a listed character -> its character class
    other: int  # the class of every character not in ``classes``
    members: tuple[tuple[str, ...], ...]  # class -> its listed characters, sorted
    rows: tuple[tuple[int, ...], ...]  # state -> class -> next state, or DEAD (missing or not live)
    start: int  # DEAD when the language is empty
    accepting: frozenset[int]
    distance: tuple[int, ...]  # state -> fewest characters to acceptance (-1 when it cannot)

    def walk(self, text: str, state: int, start: int = 0, end: int | None = None) -> tuple[int, int]:
        """Run ``text[start:end]`` from ``state``: (the last live state, the position where it stopped).

        Stopping before ``end`` means the automaton died on the character there.
        """
        stop = len(text) if end is None else end
        if state == DEAD:
            return DEAD, start
        classes = self.classes
        other = self.other
        rows = self.rows
        for i in range(start, stop):
            following = rows[state][classes.get(text[i], other)]
            if following == DEAD:
                return state, i
            state = following
        return state, stop


def with_other(fsm: Any) -> Any:
    """``fsm`` with an "anything else" symbol in its alphabet (leading nowhere if it had none).

    interegular complements relative to the alphabet; without this symbol, ``~a`` would reject every
    text containing a character ``a`` never mentions.
    """
    if anything_else in fsm.alphabet:
        return fsm
    keys = {symbol: fsm.alphabet[symbol] for symbol in fsm.alphabet}
    keys[anything_else] = max(fsm.alphabet.by_transition, default=-1) + 1
    return FSM(Alphabet(keys), set(fsm.states), fsm.initial, set(fsm.finals), fsm.map)


def compile_fsm(fsm: Any, state_names: tuple[Any, ...] | None = None) -> Tables:
    """The tables of ``fsm`` (which must have an "anything else" symbol: see ``with_other``), its states
    numbered in the order of ``state_names`` (default: sorted by ``repr``)."""
    if state_names is None:
        state_names = tuple(sorted(fsm.states, key=repr))
    state_index = {s: i for i, s in enumerate(state_names)}
    keys = sorted(fsm.alphabet.by_transition)
    class_of_key = {k: c for c, k in enumerate(keys)}
    classes: dict[str, int] = {}
    members: list[tuple[str, ...]] = []
    for key in keys:
        # Case folding can put multi-character symbols in the alphabet ("ß".upper() == "SS"); a walk
        # reads one character at a time, so they can never match and are left out.
        chars = sorted(s for s in fsm.alphabet.by_transition[key] if isinstance(s, str) and len(s) == 1)
        members.append(tuple(chars))
        for char in chars:
            classes[char] = class_of_key[key]
    other = class_of_key[fsm.alphabet[anything_else]]

    n = len(state_names)
    raw: list[dict[int, int]] = [{} for _ in range(n)]
    for source, row in fsm.map.items():
        for key, target in row.items():
            raw[state_index[source]][class_of_key[key]] = state_index[target]
    accepting = frozenset(state_index[s] for s in fsm.finals)

    # Breadth-first search backwards from the accepting states: each state's distance to acceptance, and
    # with it which states are live (can still reach acceptance) at all.
    predecessors: list[list[int]] = [[] for _ in range(n)]
    for source, row_ in enumerate(raw):
        for target in row_.values():
            predecessors[target].append(source)
    distance = [-1] * n
    queue = deque(sorted(accepting))
    for s in accepting:
        distance[s] = 0
    while queue:
        s = queue.popleft()
        for p in predecessors[s]:
            if distance[p] < 0:
                distance[p] = distance[s] + 1
                queue.append(p)

    width = len(keys)
    rows = tuple(
        tuple(
            target if (target := raw[s].get(c, DEAD)) != DEAD and distance[target] >= 0 else DEAD
            for c in range(width)
        )
        for s in range(n)
    )
    start = state_index[fsm.initial]
    return Tables(
        classes,
        other,
        tuple(members),
        rows,
        start if distance[start] >= 0 else DEAD,
        accepting,
        tuple(distance),
    )
