"""Deciding properties of a chain: ``Proven``, ``Counterexample`` or ``Unknown`` (with the reason).

The verifier explores the chain's control graph together with the abstract values of its steps (see
``explore``), breadth first, so the first counterexample found is a shortest one. Three rules keep every
answer honest:

* ``Proven`` only when the whole state space was explored and no reachable tool lacks type hints. Paths
  through over-approximated branches are explored too (all their cases), so a proof still covers every run;
* a ``Counterexample`` is *replayed*: the chain runs for real with a scripted model answering the concrete
  outputs (each goes through its step's check inside a ``Guard``), stub tools returning the assumed results,
  and the property's runtime monitor, which must stop the run at the violation. Its trace is that run's;
* a violation found only on an over-approximated path, or one that does not replay, is ``Unknown``, and
  so is anything the exploration cannot settle, each with a "because ...".
"""

from __future__ import annotations

import builtins
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

from .._text import quoted
from ..checks.automaton import Automaton
from ..checks.base import Check, Pipeline
from ..checks.grammar import Grammar
from ..models.scripted import ScriptedModel
from .chain import Chain, ModelStep, ToolStep
from .control import Node
from .domains import Sample
from .events import DEAD
from .explore import DEFAULT_MAX_STATES, AbstractState, Explorer, Move
from .languages import automaton_fsm, finite_texts, literal
from .properties import Defined, FinalPasses, Property, Terminates, TraceProperty, parse_property
from .run import ChainResult, TraceStep, run_chain

__all__ = ["Answer", "Counterexample", "Proven", "Unknown", "verify"]

#: How many texts outside the property's language are tried as final outputs before giving up.
_FINAL_CANDIDATES = 16


@dataclass(frozen=True)
class Proven:
    property: str
    detail: str
    status: Literal["proven"] = "proven"

    def to_dict(self) -> dict[str, Any]:
        return {"property": self.property, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class Counterexample:
    """A run that breaks the property: its steps (each model output accepted by its step's check), ending
    with the step the monitor stopped."""

    property: str
    trace: tuple[TraceStep, ...]
    violation: str
    detail: str = ""
    status: Literal["counterexample"] = "counterexample"

    @builtins.property
    def outputs(self) -> list[str]:
        """The model outputs of the run, in order."""
        return [s.output for s in self.trace if s.kind == "model" and s.output is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "property": self.property,
            "status": self.status,
            "violation": self.violation,
            "detail": self.detail,
            "trace": [s.to_dict() for s in self.trace],
        }


@dataclass(frozen=True)
class Unknown:
    property: str
    reason: str  # "because ..."
    status: Literal["unknown"] = "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {"property": self.property, "status": self.status, "reason": self.reason}


Answer = Proven | Counterexample | Unknown


def verify(chain: Chain, prop: Property | str, *, max_states: int | None = None) -> Answer:
    """Decide ``prop`` (a ``Property`` or its text syntax) for every run of ``chain``."""
    prop = parse_property(prop) if isinstance(prop, str) else prop
    decider = _Decider(chain, prop, max_states or DEFAULT_MAX_STATES)
    if isinstance(prop, Terminates):
        return decider.termination(prop.max_model_calls)
    if isinstance(prop, FinalPasses):
        return decider.final(prop.check)
    if isinstance(prop, TraceProperty):
        return decider.trace(prop)
    raise TypeError(f"cannot verify {prop!r}: not a guardrail chains Property")


@dataclass
class _StateSpace:
    """The explored states, how each was first reached, and the moves out of each."""

    states: dict[Hashable, AbstractState] = field(default_factory=dict)
    parent: dict[Hashable, tuple[Hashable, Move] | None] = field(default_factory=dict)
    children: dict[Hashable, list[Hashable]] = field(default_factory=dict)
    truncated: bool = False
    inexact_moves: int = 0

    def path(self, key: Hashable) -> list[Move]:
        moves: list[Move] = []
        link = self.parent[key]
        while link is not None:
            key, move = link
            moves.append(move)
            link = self.parent[key]
        return moves[::-1]


@dataclass(frozen=True)
class _Plan:
    """Concrete values that drive a run down a path: model outputs, tool results, inputs."""

    outputs: list[str]
    tools: dict[str, list[Any]]
    inputs: dict[str, Any]


class _Decider:
    def __init__(self, chain: Chain, prop: Property, max_states: int):
        self.chain = chain
        self.prop = prop
        self.max_states = max_states
        self.explorer = Explorer(chain)
        self.doubts: list[str] = []  # why violations found could not be confirmed

    # -- the search ---------------------------------------------------------------------------------

    def _explore(
        self,
        start_extra: Hashable,
        advance: Callable[[AbstractState], Hashable | None],
        on_violation: Callable[[AbstractState, _StateSpace], Answer | None],
    ) -> tuple[_StateSpace, Answer | None]:
        """Breadth-first search. ``advance(state)`` gives the ``extra`` after the state's node, or None when
        running that node violates the property (so ``extra`` itself is never None); then ``on_violation``
        may return a confirmed answer."""
        space = _StateSpace()
        start = self.explorer.initial(start_extra)
        space.states[start.key] = start
        space.parent[start.key] = None
        queue = deque([start])
        while queue:
            state = queue.popleft()
            extra = advance(state)
            if extra is None:
                answer = on_violation(state, space)
                if answer is not None:
                    return space, answer
                continue
            children = space.children.setdefault(state.key, [])
            for move in self.explorer.moves(state, extra):
                if not move.exact:
                    space.inexact_moves += 1
                target = move.target
                children.append(target.key)
                if target.key in space.states:
                    continue
                if len(space.states) >= self.max_states:
                    space.truncated = True
                    return space, None
                space.states[target.key] = target
                space.parent[target.key] = (state.key, move)
                queue.append(target)
        return space, None

    def _violation(
        self, state: AbstractState, space: _StateSpace, override: tuple[str, Sample] | None = None
    ) -> Answer | None:
        """A confirmed counterexample for the violation at ``state``, or None (with the doubt recorded)."""
        moves = space.path(state.key)
        if not state.exact:
            why = next((m.reason for m in moves if not m.exact), "an over-approximated step")
            self.doubts.append(f"the only violations found are on over-approximated paths: {why}")
            return None
        plan = self._plan(moves, state, override)
        if isinstance(plan, str):
            self.doubts.append(plan)
            return None
        return self._replay(plan, self.explorer.node(state))

    def _unsettled(self, space: _StateSpace, proof: str) -> Answer:
        doubts = list(dict.fromkeys(self.doubts))
        if doubts:
            more = f" (and {len(doubts) - 1} other doubt(s))" if len(doubts) > 1 else ""
            return Unknown(self.prop.text, f"because {doubts[0]}{more}")
        if self.explorer.untyped:
            name, missing = next(iter(self.explorer.untyped.items()))
            return Unknown(
                self.prop.text,
                f"because tool {name!r} has no type hint for {', '.join(missing)}: "
                "the verifier models a tool by its declared types, so it cannot say what an untyped tool "
                "returns; annotate it",
            )
        if space.truncated:
            return Unknown(
                self.prop.text,
                f"because the exploration stopped at {self.max_states:,} states before covering every run "
                "(raise max_states, or bound the chain's loops more tightly)",
            )
        over = (
            f"; {space.inexact_moves} branch move(s) on values that cannot be enumerated were "
            "over-approximated (every case explored), which a proof covers"
            if space.inexact_moves
            else ""
        )
        return Proven(self.prop.text, f"{proof} ({len(space.states):,} abstract states explored{over})")

    # -- trace properties ----------------------------------------------------------------------------

    def trace(self, prop: TraceProperty) -> Answer:
        automaton = prop.automaton(self.explorer.graph)
        defined = isinstance(prop, Defined)

        def advance(state: AbstractState) -> Hashable | None:
            node = self.explorer.node(state)
            if defined:
                return None if self.explorer.undefined(state) else state.extra
            if not node.symbol:
                return state.extra
            assert isinstance(state.extra, int)
            following = automaton.step(state.extra, node.symbol)
            if following == DEAD or (node.kind == "final" and not automaton.accepts(following)):
                return None
            return following

        if automaton.start == DEAD:
            return Counterexample(
                prop.text, (), "the property accepts no trace at all (its language is empty)"
            )
        space, answer = self._explore(automaton.start, advance, self._violation)
        return answer or self._unsettled(space, f"every run satisfies {prop.text!r}")

    # -- termination ---------------------------------------------------------------------------------

    def termination(self, bound: int) -> Answer:
        def advance(state: AbstractState) -> Hashable | None:
            calls = state.extra
            assert isinstance(calls, int)
            if self.explorer.node(state).kind != "model":
                return calls
            return None if calls >= bound else calls + 1

        space, answer = self._explore(0, advance, self._violation)
        if answer is not None:
            return answer
        if not self.doubts and not space.truncated:
            loop = self._cycle(space)
            if loop is not None:
                return Unknown(
                    self.prop.text,
                    f"because {loop} has no max_iterations and can go round forever "
                    "without calling the model (what ends it is not bounded by the chain); "
                    "give it max_iterations=N",
                )
        most = max((s.extra for s in space.states.values() if isinstance(s.extra, int)), default=0)
        attempts = max(
            (s.attempts for s in self.chain.walk() if isinstance(s, ModelStep)),
            default=1,
        )
        return self._unsettled(
            space,
            f"every run ends after at most {most} model call(s) (bound {bound}); "
            f"with the Guard's repairs, at most {most * attempts} requests",
        )

    def _cycle(self, space: _StateSpace) -> str | None:
        """The unbounded loop on a cycle of the explored space, if there is a cycle."""
        color: dict[Hashable, int] = {}
        for root in space.states:
            if root in color:
                continue
            stack: list[tuple[Hashable, int]] = [(root, 0)]
            color[root] = 1
            while stack:
                key, index = stack[-1]
                children = space.children.get(key, [])
                if index < len(children):
                    stack[-1] = (key, index + 1)
                    child = children[index]
                    if color.get(child) == 1:
                        on_cycle = [k for k, _ in stack[[k for k, _ in stack].index(child) :]]
                        return self._loop_named(space, on_cycle)
                    if child not in color:
                        color[child] = 1
                        stack.append((child, 0))
                else:
                    color[key] = 2
                    stack.pop()
        return None

    def _loop_named(self, space: _StateSpace, keys: list[Hashable]) -> str:
        for key in keys:
            node = self.explorer.node(space.states[key])
            if node.kind == "loop" and node.max_iterations is None:
                return node.describe()
        return "a loop"

    # -- the final output ----------------------------------------------------------------------------

    def final(self, check: Check) -> Answer:
        final = self.chain.final
        if final.template is not None:
            return Unknown(
                self.prop.text,
                "because the final output is rendered from a template; the verifier knows the language of a "
                "step's output, not of a template filled with values",
            )
        assert final.value is not None
        name = final.value

        def advance(state: AbstractState) -> Hashable | None:
            node = self.explorer.node(state)
            return None if node.kind == "final" and not self.explorer.undefined(state) else state.extra

        def at_final(state: AbstractState, space: _StateSpace) -> Answer | None:
            val = state.value(name)
            assert val is not None
            if val.origin is not None:
                return self._final_from_model(state, space, check, name, val.origin)
            return self._final_from_value(state, space, check, name)

        space, answer = self._explore(0, advance, at_final)
        return answer or self._unsettled(space, f"every final output passes {check.name}")

    def _final_from_model(
        self, state: AbstractState, space: _StateSpace, check: Check, name: str, origin: int
    ) -> Answer | None:
        node = self.explorer.graph.node(origin)
        step = node.step
        assert isinstance(step, ModelStep)
        if _includes(step.check, check):
            return None  # the step's own check (or its first part) is the property's check
        abstraction = self.explorer.abstraction(node)
        language = abstraction.language
        if language is None:
            self.doubts.append(
                f"the final output comes from {step.describe()}, whose check {step.check.name} has no known "
                f"regular language ({abstraction.language_note}), and {check.name} is not that check itself"
            )
            return None
        if isinstance(check, Automaton):
            outside = language - check
            if outside.is_empty():
                longest = _max_chars(step.check)
                if longest is not None and longest <= check.max_chars:
                    return None
                # The languages are included, but the property's check also rejects long texts.
                self.doubts.append(
                    f"{check.name} rejects texts over {check.max_chars:,} characters, and {step.describe()} "
                    f"accepts texts up to {longest if longest is not None else 'any'} characters"
                )
                return None
            candidates = _examples(outside, _FINAL_CANDIDATES)
        else:
            texts = finite_texts(automaton_fsm(language), 256)
            if texts is None:
                self.doubts.append(
                    f"{check.name} is not a regular language the verifier can compare with the texts of "
                    f"{step.describe()} (which are infinitely many)"
                )
                return None
            candidates = [t for t in texts if not check.check(t).ok]
            if not candidates:
                return None
        tried = 0
        for text in candidates:
            verdict = step.check.check(text)
            if not verdict.ok:
                continue  # in the regular superset but not an output of the step
            tried += 1
            value = text if step.output == "text" else verdict.value
            answer = self._violation(state, space, (name, Sample(value, text)))
            if answer is not None:
                return answer
        if tried == 0:
            self.doubts.append(
                f"the regular superset of {step.describe()}'s texts has texts outside {check.name} "
                f"(e.g. {quoted(candidates[0], 40)}), but the step's check rejects the ones tried"
            )
        return None

    def _final_from_value(
        self, state: AbstractState, space: _StateSpace, check: Check, name: str
    ) -> Answer | None:
        val = state.value(name)
        assert val is not None
        samples = val.domain.samples()
        if samples is None:
            self.doubts.append(
                f"the final output is {name!r}, which is {val.domain.description}: not a model output with a "
                "known language, and not enumerable"
            )
            return None
        for sample in samples:
            if isinstance(sample.value, str) and check.check(sample.value).ok:
                continue
            answer = self._violation(state, space, (name, sample))
            if answer is not None:
                return answer
        return None

    # -- concrete runs -------------------------------------------------------------------------------

    def _plan(
        self, moves: list[Move], last: AbstractState, override: tuple[str, Sample] | None
    ) -> _Plan | str:
        """Concrete outputs for the path ``moves`` (ending in ``last``), or why none could be made."""
        states = [move.target for move in moves]
        first = self.explorer.initial(None)

        def window_end(start: int, name: str) -> tuple[AbstractState, bool]:
            """The state where the value bound by move ``start`` (-1: an input) is most refined, and whether
            the value is the one the path ends with."""
            for j in range(start + 1, len(moves)):
                if moves[j].binds == name:
                    return (states[j - 1] if j > 0 else first), False
            return last, True

        def chosen(name: str, start: int) -> Sample | None:
            state, reaches_end = window_end(start, name)
            if override is not None and reaches_end and override[0] == name:
                return override[1]
            val = state.value(name)
            return None if val is None else val.domain.witness()

        inputs: dict[str, Any] = {}
        for name in self.chain.inputs:
            sample = chosen(name, -1)
            if sample is None:
                return f"no example value is known for input {name!r}"
            inputs[name] = sample.value
        outputs: list[str] = []
        tools: dict[str, list[Any]] = {}
        for i, move in enumerate(moves):
            node = move.node
            if node.kind == "model":
                assert move.binds is not None
                sample = chosen(move.binds, i)
                if sample is None or sample.text is None:
                    return (
                        f"no concrete output is known for {node.describe()} "
                        f"({self.explorer.abstraction(node).domain.description}); "
                        "give the step examples=[...]"
                    )
                outputs.append(sample.text)
            elif node.kind == "tool":
                assert move.binds is not None
                sample = chosen(move.binds, i)
                if sample is None:
                    domain, _ = self.explorer.tool_domain(node)
                    return f"no example result is known for {node.describe()} ({domain.description})"
                tools.setdefault(move.binds, []).append(sample.value)
        return _Plan(outputs, tools, inputs)

    def _replay(self, plan: _Plan, at: Node) -> Answer | None:
        """Run the chain on ``plan`` with the property's monitor; a Counterexample if it stops at ``at``."""
        tool_names = {s.name for s in self.chain.walk() if isinstance(s, ToolStep) and s.name is not None}
        stubs = {name: _stub(name, plan.tools.get(name, [])) for name in tool_names}
        try:
            result = run_chain(
                self.chain,
                ScriptedModel(list(plan.outputs)),
                monitor=[self.prop],
                tools=stubs,
                inputs=plan.inputs,
            )
        except Exception as e:  # the run left the path (a stub or the script ran out): not confirmed
            self.doubts.append(
                f"a violation found in the abstraction did not replay ({type(e).__name__}: {e})"
            )
            return None
        violation = result.violation
        if (
            result.stop_reason != "violation"
            or violation is None
            or violation.step != at.describe()
            or result.model_calls != len(plan.outputs)
            or any(g.stop_reason != "accepted" or len(g.attempts) != 1 for g in result.guard_results)
        ):
            self.doubts.append(
                "a violation found in the abstraction did not replay "
                f"(the run ended with {result.stop_reason}: {result.detail or 'no violation'})"
            )
            return None
        return Counterexample(
            self.prop.text,
            (*_annotated(result), _stopped_step(at, violation.message)),
            violation.message,
            f"replayed: {len(plan.outputs)} model output(s), each accepted by its step's check"
            + (
                f", and {sum(len(v) for v in plan.tools.values())} assumed tool result(s)"
                if plan.tools
                else ""
            ),
        )


def _stub(name: str, results: list[Any]) -> Callable[..., Any]:
    queue = list(results)

    def stub(**_: Any) -> Any:
        if not queue:
            raise RuntimeError(
                f"the replay called tool {name!r} more often than the counterexample path does"
            )
        return queue.pop(0)

    return stub


def _annotated(result: ChainResult) -> list[TraceStep]:
    out: list[TraceStep] = []
    for s in result.trace:
        if s.kind == "tool":
            note = "assumed result: the verifier knows a tool only by its return type"
            out.append(TraceStep(s.step, s.kind, s.event, s.output, s.value, note))
        else:
            out.append(s)
    return out


def _stopped_step(node: Node, message: str) -> TraceStep:
    note = f"stopped before this step: {message}"
    return TraceStep(node.describe(), node.kind, node.event, None, None, note, stopped=True)


def _examples(language: Automaton, count: int) -> list[str]:
    """Up to ``count`` texts of ``language``, shortest first."""
    found: list[str] = []
    for _ in range(count):
        text = language.example()
        if text is None:
            break
        found.append(text)
        language = language - literal(text)
    return found


def _max_chars(check: Check) -> int | None:
    """The longest text ``check`` can accept, when it says (the first check of a pipeline sees the text)."""
    first = check.checks[0] if isinstance(check, Pipeline) else check
    limit = getattr(first, "max_chars", None)
    return limit if isinstance(limit, int) else None


def _includes(step_check: Check, prop_check: Check) -> bool:
    """Whether every text ``step_check`` accepts is, by construction, one ``prop_check`` accepts: it is the
    same check, or the text-judging first part of a pipeline is."""
    candidates = [step_check, *(step_check.checks[:1] if isinstance(step_check, Pipeline) else [])]
    for c in candidates:
        if c is prop_check:
            return True
        if isinstance(c, Grammar) and isinstance(prop_check, Grammar) and _same_grammar(c, prop_check):
            return True
    return False


def _same_grammar(step: Grammar, prop: Grammar) -> bool:
    return (
        step.lark is prop.lark  # compiled grammars are cached by source text, start and file
        and step.start == prop.start
        and step.extract == prop.extract
        and step.max_chars <= prop.max_chars
        and step.max_depth <= prop.max_depth
        and (prop.transformer is None or type(prop.transformer) is type(step.transformer))
    )
