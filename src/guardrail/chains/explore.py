"""Explicit-state exploration of a chain's control graph × its abstract values.

A state is a node, the abstract value bound to each name (a domain, plus which model step's text it came
from), the counters of the bounded loops being run, and whatever the property being decided adds (an
automaton state, a count of model calls). Each move executes one node. A move is *exact* when every
concrete run it stands for is possible (binding a model step's domain, an exact split of a finite domain)
and *over-approximated* when it is only not ruled out (a branch on a value that cannot be enumerated).

Unbounded loops keep no counter, so the state space stays finite; exploration stops at ``max_states``.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from .abstraction import Abstraction, abstract_check, domain_of_type
from .chain import Assign, Branch, Chain, ModelStep, ToolStep
from .control import ControlGraph, Node, compile_chain, loop_counter_after_exit, loop_step
from .domains import LIMIT, AnyValue, Domain, Finite, Sample

__all__ = ["DEFAULT_MAX_STATES", "AbstractState", "Explorer", "Move", "Val"]

DEFAULT_MAX_STATES = 200_000


@dataclass(frozen=True, eq=False)
class Val:
    """The abstract value of a name: its domain, and the model node whose accepted text it is (if any)."""

    domain: Domain
    origin: int | None = None

    def key(self) -> Hashable:
        return (self.domain.key(), self.origin)


Env = tuple[tuple[str, Val], ...]
Counters = tuple[tuple[int, int], ...]


@dataclass(frozen=True, eq=False)
class AbstractState:
    """A point of the explored space: a node, the abstract value of each bound name, the loop counters,
    what the property adds, and whether every move to here was exact."""

    node: int
    env: Env
    counters: Counters
    extra: Hashable  # what the property adds: an automaton state, a call count
    exact: bool
    key: Hashable = field(init=False)

    def __post_init__(self) -> None:
        env_key = tuple((name, val.key()) for name, val in self.env)
        object.__setattr__(self, "key", (self.node, env_key, self.counters, self.extra, self.exact))

    def value(self, name: str) -> Val | None:
        return next((v for n, v in self.env if n == name), None)

    def bound(self) -> frozenset[str]:
        return frozenset(n for n, _ in self.env)


@dataclass(frozen=True)
class Move:
    """Executing ``node`` from a state leads to ``target``."""

    node: Node
    target: AbstractState
    exact: bool
    reason: str = ""
    binds: str | None = None


def _bind(env: Env, name: str, val: Val) -> Env:
    return tuple(sorted([*((n, v) for n, v in env if n != name), (name, val)], key=lambda nv: nv[0]))


class Explorer:
    """Moves of a chain's abstract state space."""

    def __init__(self, chain: Chain, *, limit: int = LIMIT):
        self.chain = chain
        self.graph: ControlGraph = compile_chain(chain)
        self.limit = limit
        self._abstractions: dict[int, Abstraction] = {}
        self._tool_domains: dict[int, tuple[Domain, str | None]] = {}
        self._constants: dict[int, Val] = {}
        #: Tools without full type hints that exploration reached (name -> what lacks a hint).
        self.untyped: dict[str, list[str]] = {}
        self.inputs: dict[str, Val] = {}
        for name, annotation in chain.inputs.items():
            domain = (
                AnyValue("any input", f"input {name!r} has no type")
                if annotation is None
                else domain_of_type(annotation, limit)
            )
            self.inputs[name] = Val(domain)

    def initial(self, extra: Hashable) -> AbstractState:
        env = tuple(sorted(self.inputs.items(), key=lambda nv: nv[0]))
        return AbstractState(self.graph.entry, env, (), extra, True)

    def node(self, state: AbstractState) -> Node:
        return self.graph.node(state.node)

    def abstraction(self, node: Node) -> Abstraction:
        """The abstraction of a model node's check (computed once)."""
        found = self._abstractions.get(node.id)
        if found is None:
            step = node.step
            assert isinstance(step, ModelStep)
            found = abstract_check(step.check, output=step.output, examples=step.examples, limit=self.limit)
            self._abstractions[node.id] = found
        return found

    def tool_domain(self, node: Node) -> tuple[Domain, str | None]:
        """A tool's result domain, and why it is unknown when the tool lacks type hints."""
        found = self._tool_domains.get(node.id)
        if found is None:
            step = node.step
            assert isinstance(step, ToolStep) and step.name is not None
            hints, missing = step.type_hints()
            if missing:
                tool = getattr(step.fn, "__name__", step.name)
                reason = (
                    f"tool {tool!r} has no type hint for {', '.join(missing)}: the verifier models a tool "
                    "by its declared types, so an untyped tool could return anything or reject its arguments"
                )
                found = (AnyValue("unknown", reason), reason)
            else:
                found = (domain_of_type(hints["return"], self.limit), None)
            self._tool_domains[node.id] = found
        return found

    def undefined(self, state: AbstractState) -> list[str]:
        """The values the state's node reads that are not bound on this path."""
        return sorted(self.node(state).reads - state.bound())

    def moves(self, state: AbstractState, extra: Hashable) -> list[Move]:
        """Where executing the state's node can lead, with ``extra`` in the states reached (nothing from the
        final node or from a node that reads an undefined value: the run stops there)."""
        node = self.node(state)
        if node.kind == "final" or self.undefined(state):
            return []
        state = AbstractState(state.node, state.env, state.counters, extra, state.exact)
        if node.kind == "model":
            domain = self.abstraction(node).domain
            assert node.writes is not None
            return [self._go(state, node, node.next, _bind(state.env, node.writes, Val(domain, node.id)))]
        if node.kind == "tool":
            domain, untyped = self.tool_domain(node)
            assert node.writes is not None
            env = _bind(state.env, node.writes, Val(domain))
            if untyped is not None:
                step = node.step
                assert isinstance(step, ToolStep)
                self.untyped[getattr(step.fn, "__name__", None) or str(step.name)] = step.type_hints()[1]
                return [self._go(state, node, node.next, env, exact=False, reason=untyped)]
            return [self._go(state, node, node.next, env)]
        if node.kind == "assign":
            assert isinstance(node.step, Assign)
            constant = self._constants.setdefault(node.id, Val(Finite([Sample(node.step.value, None)])))
            return [self._go(state, node, node.next, _bind(state.env, node.step.name, constant))]
        if node.kind == "branch":
            return self._branch(state, node)
        if node.kind == "loop":
            target, counters = loop_step(node, state.counters)
            return [self._go(state, node, target, state.env, counters=counters)]
        if node.kind == "break":
            counters = loop_counter_after_exit(state.counters, node.loop)
            return [self._go(state, node, node.next, state.env, counters=counters)]
        raise AssertionError(node.kind)  # pragma: no cover

    def _branch(self, state: AbstractState, node: Node) -> list[Move]:
        step = node.step
        assert isinstance(step, Branch)
        val = state.value(step.value_name)
        assert val is not None  # undefined reads have no moves
        keys = list(step.cases)
        moves: list[Move] = []
        for split in val.domain.refine(step.path, keys):
            target = node.otherwise if split.case is None else node.targets[split.case]
            env = _bind(state.env, step.value_name, Val(split.domain, val.origin))
            reason = f"{step.describe()} is over-approximated: {split.reason}" if not split.exact else ""
            moves.append(self._go(state, node, target, env, exact=split.exact, reason=reason))
        return moves

    def _go(
        self,
        state: AbstractState,
        node: Node,
        target: int,
        env: Env,
        *,
        counters: Counters | None = None,
        exact: bool = True,
        reason: str = "",
    ) -> Move:
        following = AbstractState(
            target,
            env,
            state.counters if counters is None else counters,
            state.extra,
            state.exact and exact,
        )
        return Move(node, following, exact, reason, node.writes)


def __getattr__(name: str) -> Any:
    # ``State`` was renamed: the invariants package has its own ``State`` (a program state).
    if name == "State":
        warnings.warn(
            "guardrail.chains.explore.State is deprecated; it is called AbstractState now",
            DeprecationWarning,
            stacklevel=2,
        )
        return AbstractState
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
