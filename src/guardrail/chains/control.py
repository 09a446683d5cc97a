"""The control graph of a chain: its steps compiled to numbered nodes with explicit successors.

Both the runner and the verifier walk this graph, so what is verified is what runs. Each node that emits
an event or reads or binds a value has a *symbol*, one private-use character: a run's trace is the string
of its nodes' symbols, and trace properties are automata over these strings. This module also holds the
semantics of branches and loops that the runner and the abstract domains share.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .chain import FINAL_EVENT, Assign, Branch, Break, Chain, Final, Loop, ModelStep, Step, ToolStep

__all__ = ["ControlGraph", "Node", "compile_chain"]

#: Symbols are private-use characters, so they never clash with anything a pattern could mean.
_FIRST_SYMBOL = 0xE000


@dataclass(eq=False)
class Node:
    """One node of the control graph.

    ``kind`` is one of: model, tool, assign, branch (successors ``targets`` per case, then ``otherwise``),
    loop (the head of a loop: ``body`` or, after ``max_iterations`` rounds, ``next``), break, final.
    """

    id: int
    kind: str
    step: Step | Final | None = None
    next: int = -1
    targets: tuple[int, ...] = ()
    otherwise: int = -1
    body: int = -1
    loop: int = -1  # for loop heads and breaks: the loop's number
    max_iterations: int | None = None
    event: str | None = None
    reads: frozenset[str] = frozenset()
    writes: str | None = None
    symbol: str = ""

    def describe(self) -> str:
        step = self.step
        return step.describe() if step is not None else self.kind


@dataclass
class ControlGraph:
    """A chain compiled to nodes: ``entry`` is the first node run, ``nodes[i].id == i``."""

    chain: Chain
    nodes: list[Node] = field(default_factory=list)
    entry: int = -1
    loops: list[Loop] = field(default_factory=list)

    def node(self, node_id: int) -> Node:
        return self.nodes[node_id]

    @property
    def symbols(self) -> str:
        return "".join(n.symbol for n in self.nodes if n.symbol)

    def symbols_of_event(self, event: str) -> str:
        return "".join(n.symbol for n in self.nodes if n.symbol and n.event == event)

    @property
    def event_symbols(self) -> str:
        return "".join(n.symbol for n in self.nodes if n.symbol and n.event is not None)

    @property
    def silent_symbols(self) -> str:
        return "".join(n.symbol for n in self.nodes if n.symbol and n.event is None)

    def node_of_symbol(self, symbol: str) -> Node:
        return self.nodes[ord(symbol) - _FIRST_SYMBOL]


def compile_chain(chain: Chain) -> ControlGraph:
    graph = ControlGraph(chain)
    known = chain.value_names
    final = _add(graph, Node(-1, "final", step=chain.final, event=FINAL_EVENT, reads=chain.final.reads))
    graph.entry = _compile(graph, chain.steps, final.id, None, known)
    for node in graph.nodes:
        if node.kind in ("model", "tool", "assign", "branch", "final"):
            node.symbol = chr(_FIRST_SYMBOL + node.id)
    return graph


def _add(graph: ControlGraph, node: Node) -> Node:
    node.id = len(graph.nodes)
    graph.nodes.append(node)
    return node


def _compile(
    graph: ControlGraph, steps: Sequence[Step], after: int, loop: int | None, known: frozenset[str]
) -> int:
    """The entry node of ``steps``, which continue at ``after``; ``loop`` is the innermost loop's head."""
    entry = after
    for step in reversed(steps):
        entry = _compile_step(graph, step, entry, loop, known)
    return entry


def _compile_step(
    graph: ControlGraph, step: Step, after: int, loop: int | None, known: frozenset[str]
) -> int:
    if isinstance(step, ModelStep):
        node = Node(-1, "model", step=step, next=after, event=step.event, reads=step.reads, writes=step.name)
    elif isinstance(step, ToolStep):
        reads = frozenset(step.bindings(known).values())
        node = Node(-1, "tool", step=step, next=after, event=step.event, reads=reads, writes=step.name)
    elif isinstance(step, Assign):
        node = Node(-1, "assign", step=step, next=after, writes=step.name)
    elif isinstance(step, Branch):
        targets = tuple(_compile(graph, case, after, loop, known) for case in step.cases.values())
        otherwise = _compile(graph, step.otherwise, after, loop, known)
        node = Node(
            -1, "branch", step=step, targets=targets, otherwise=otherwise, reads=frozenset({step.value_name})
        )
    elif isinstance(step, Loop):
        head = _add(graph, Node(-1, "loop", step=step, next=after, max_iterations=step.max_iterations))
        head.loop = len(graph.loops)
        graph.loops.append(step)
        head.body = _compile(graph, step.body, head.id, head.id, known)
        return head.id
    elif isinstance(step, Break):
        assert loop is not None  # Chain validated that every Break is inside a loop
        head = graph.nodes[loop]
        node = Node(-1, "break", step=step, next=head.next, loop=head.loop)
    else:  # pragma: no cover - Chain validates step types
        raise AssertionError(step)
    return _add(graph, node).id


def loop_counter_after_exit(counters: tuple[tuple[int, int], ...], loop: int) -> tuple[tuple[int, int], ...]:
    """``counters`` without ``loop``'s entry (a loop that is left starts from zero next time)."""
    return tuple((k, v) for k, v in counters if k != loop)


def loop_step(node: Node, counters: tuple[tuple[int, int], ...]) -> tuple[int, tuple[tuple[int, int], ...]]:
    """Where a loop head goes (its body or its exit) and the counters after it."""
    if node.max_iterations is None:
        # An unbounded loop keeps no count: its state must not grow, so that exploration stays finite.
        return node.body, counters
    count = dict(counters).get(node.loop, 0)
    if count >= node.max_iterations:
        return node.next, loop_counter_after_exit(counters, node.loop)
    rest = [(k, v) for k, v in counters if k != node.loop]
    return node.body, tuple(sorted([*rest, (node.loop, count + 1)]))


def value_at(value: Any, path: Sequence[str]) -> Any:
    """``value.a.b`` for ``path == ("a", "b")`` (dict keys or attributes); ``MISSING`` when absent."""
    for part in path:
        if isinstance(value, dict):
            if part not in value:
                return MISSING
            value = value[part]
        else:
            try:
                value = getattr(value, part)
            except Exception:  # a missing or failing attribute matches no case
                return MISSING
    return value


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def case_matches(value: Any, key: Any) -> bool:
    """Branch semantics: ``==``, except that a bool only equals a bool (``True`` is not ``1`` here)."""
    if value is MISSING or isinstance(value, bool) != isinstance(key, bool):
        return False
    try:
        return bool(value == key)
    except Exception:
        return False


def choose_case(keys: Sequence[Any], value: Any) -> int | None:
    """The index of the first case ``value`` matches, or None for ``otherwise``."""
    return next((i for i, key in enumerate(keys) if case_matches(value, key)), None)


def __getattr__(name: str) -> Any:
    # ``Program`` was renamed: the invariants package has its own ``Program`` (a program with loops).
    if name == "Program":
        warnings.warn(
            "guardrail.chains.control.Program is deprecated; it is called ControlGraph now",
            DeprecationWarning,
            stacklevel=2,
        )
        return ControlGraph
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
