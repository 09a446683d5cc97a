"""Runtime monitors: the properties the verifier decides, enforced on live runs.

The runner asks every monitor before each step (``before``); a monitor that answers with a ``Violation``
stops the chain *before* that step runs: the tool is not called, the model is not asked, the final output
is not returned. A trace monitor tracks its property automaton's state; a ``Terminates`` monitor counts
model calls; a ``FinalPasses`` monitor runs its check on the output about to be returned.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from .._text import quoted
from ..errors import ConfigurationError
from .control import ControlGraph, Node
from .events import DEAD, TraceAutomaton
from .properties import (
    Defined,
    FinalPasses,
    Property,
    ResultsUsed,
    Terminates,
    TraceProperty,
    parse_property,
    returns_none,
)

__all__ = ["Monitor", "Violation", "make_monitor"]


@dataclass(frozen=True)
class Violation:
    """Why a monitor stopped a run: the property, and the step that would have broken it."""

    property: str
    step: str
    event: str | None
    message: str

    def to_dict(self) -> dict[str, str | None]:
        return {"property": self.property, "step": self.step, "event": self.event, "message": self.message}


class Monitor(ABC):
    """Watches one property during a run."""

    def __init__(self, prop: Property):
        self.property = prop

    @abstractmethod
    def reset(self) -> None:
        """Forget the previous run."""

    @abstractmethod
    def before(self, node: Node, bound: frozenset[str], output: str | None = None) -> Violation | None:
        """Called before ``node`` runs (``bound``: the values defined so far; ``output``: for the final
        node, the text about to be returned). A ``Violation`` stops the run."""

    def _violation(self, node: Node, message: str) -> Violation:
        return Violation(self.property.text, node.describe(), node.event, message)


class TraceMonitor(Monitor):
    def __init__(self, prop: TraceProperty, graph: ControlGraph):
        super().__init__(prop)
        self.automaton: TraceAutomaton = prop.automaton(graph)
        self.state = self.automaton.start

    def reset(self) -> None:
        self.state = self.automaton.start

    def before(self, node: Node, bound: frozenset[str], output: str | None = None) -> Violation | None:
        following = self.automaton.step(self.state, node.symbol)
        if following == DEAD:
            what = f"event {node.event!r}" if node.event else node.describe()
            return self._violation(node, f"{what} would violate {self.property.text!r}")
        if node.kind == "final" and not self.automaton.accepts(following):
            return self._violation(node, f"finishing here would violate {self.property.text!r}")
        self.state = following
        return None


class ResultsUsedMonitor(TraceMonitor):
    """The ``ResultsUsed`` automaton, plus a record of which results are still unread, to say which."""

    def __init__(self, prop: ResultsUsed, graph: ControlGraph):
        super().__init__(prop, graph)
        self.unread: dict[str, str] = {}  # value name -> the tool step that produced it

    def reset(self) -> None:
        super().reset()
        self.unread = {}

    def before(self, node: Node, bound: frozenset[str], output: str | None = None) -> Violation | None:
        violation = super().before(node, bound, output)
        if violation is not None:
            names = [n for n in self.unread if n not in node.reads] if node.kind == "final" else [node.writes]
            lost = [self.unread[n] for n in names if n in self.unread]
            if lost:
                verb = "is never read" if node.kind == "final" else "would be replaced unread"
                return self._violation(node, f"the result of {', '.join(lost)} {verb}")
            return violation
        for name in node.reads:
            self.unread.pop(name, None)
        if node.kind == "tool" and node.writes is not None and not returns_none(node):
            self.unread[node.writes] = node.describe() + (
                "" if repr(node.writes) in node.describe() else f" ({node.writes!r})"
            )
        return None


class CallBudgetMonitor(Monitor):
    def __init__(self, prop: Terminates):
        super().__init__(prop)
        self.budget = prop.max_model_calls
        self.calls = 0

    def reset(self) -> None:
        self.calls = 0

    def before(self, node: Node, bound: frozenset[str], output: str | None = None) -> Violation | None:
        if node.kind != "model":
            return None
        if self.calls >= self.budget:
            return self._violation(
                node, f"model call {self.calls + 1} would exceed the bound of {self.budget}"
            )
        self.calls += 1
        return None


class FinalMonitor(Monitor):
    def __init__(self, prop: FinalPasses):
        super().__init__(prop)
        self.check = prop.check

    def reset(self) -> None:
        pass

    def before(self, node: Node, bound: frozenset[str], output: str | None = None) -> Violation | None:
        if node.kind != "final":
            return None
        if output is None:
            return self._violation(node, "the final output is not text, so it cannot pass a text check")
        verdict = self.check.check(output)
        if verdict.ok:
            return None
        return self._violation(
            node, f"the final output {quoted(output, 60)} fails {self.check.name}: {verdict.feedback()}"
        )


class DefinedMonitor(Monitor):
    def __init__(self, prop: Defined):
        super().__init__(prop)

    def reset(self) -> None:
        pass

    def before(self, node: Node, bound: frozenset[str], output: str | None = None) -> Violation | None:
        missing = sorted(node.reads - bound)
        if missing:
            return self._violation(
                node, f"{node.describe()} reads {', '.join(missing)}, which is not defined yet"
            )
        return None


def make_monitor(prop: Property | str, graph: ControlGraph) -> Monitor:
    """The monitor of ``prop`` (a ``Property`` or its text syntax) for ``graph``."""
    if isinstance(prop, str):
        prop = parse_property(prop)
    if isinstance(prop, Terminates):
        return CallBudgetMonitor(prop)
    if isinstance(prop, FinalPasses):
        return FinalMonitor(prop)
    if isinstance(prop, Defined):
        return DefinedMonitor(prop)
    if isinstance(prop, ResultsUsed):
        return ResultsUsedMonitor(prop, graph)
    if isinstance(prop, TraceProperty):
        return TraceMonitor(prop, graph)
    raise ConfigurationError(f"no monitor for {prop!r}: pass a guardrail chains Property or its text")
