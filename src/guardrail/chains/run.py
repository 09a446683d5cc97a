"""Running a chain for real: walk its control automaton, ask the model through a ``Guard`` at each model
step, call the tools, and let monitors stop the run before a step that would break a property.

A model that never gives an acceptable answer, a tool that raises, a monitor that objects: each ends the
run with a ``ChainResult`` saying so (``stop_reason``), never with an exception.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import TypeAdapter

from .._sync import run_sync
from .._text import clip
from ..checks.base import Verdict
from ..errors import ConfigurationError
from ..guard import Budget, Guard, GuardResult
from ..models.base import Model
from ..prompt import Template
from .chain import Assign, Branch, Chain, Final, ModelStep, ToolStep
from .control import Node, Program, choose_case, compile_chain, loop_counter_after_exit, loop_step, value_at
from .monitor import Monitor, Violation, make_monitor
from .properties import Property

__all__ = ["ChainResult", "StopReason", "TraceStep", "arun_chain", "run_chain"]

StopReason = Literal["final", "rejected", "tool_error", "violation", "undefined"]


def jsonable(value: Any) -> Any:
    """``value`` as JSON-ready data (pydantic models dumped, unknown objects as their repr)."""
    return Verdict.accept(value).to_dict()["value"]


@dataclass(frozen=True)
class TraceStep:
    """One executed step: for a model step its accepted ``output`` text and parsed ``value``; for a tool its
    result; for the final step the chain's output."""

    step: str
    kind: str
    event: str | None
    output: str | None
    value: Any
    note: str = ""
    #: True for the step a monitor stopped: it did not run.
    stopped: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "kind": self.kind,
            "event": self.event,
            "output": self.output,
            "value": jsonable(self.value),
            "note": self.note,
            "stopped": self.stopped,
        }


@dataclass(frozen=True)
class ChainResult:
    ok: bool
    output: str | None
    value: Any
    stop_reason: StopReason
    trace: tuple[TraceStep, ...]
    violation: Violation | None = None
    detail: str = ""
    guard_results: tuple[GuardResult, ...] = field(default=())

    @property
    def model_calls(self) -> int:
        return len(self.guard_results)

    @property
    def events(self) -> list[str]:
        return [s.event for s in self.trace if s.event is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "output": self.output,
            "value": jsonable(self.value),
            "stop_reason": self.stop_reason,
            "detail": self.detail,
            "violation": self.violation.to_dict() if self.violation else None,
            "trace": [s.to_dict() for s in self.trace],
        }


def run_chain(
    chain: Chain,
    model: Model,
    *,
    monitor: Sequence[Property | str] = (),
    tools: Mapping[str, Callable[..., Any]] | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> ChainResult:
    """Run ``chain`` with ``model`` (sync facade of ``arun_chain``)."""
    return run_sync(arun_chain(chain, model, monitor=monitor, tools=tools, inputs=inputs), "run_chain")


async def arun_chain(
    chain: Chain,
    model: Model,
    *,
    monitor: Sequence[Property | str] = (),
    tools: Mapping[str, Callable[..., Any]] | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> ChainResult:
    """Run ``chain``; ``monitor`` properties stop it before a violating step; ``tools`` replaces the function
    of the tool steps with those names (for dry runs and replays)."""
    program = compile_chain(chain)
    monitors = [make_monitor(p, program) for p in monitor]
    return await _Run(program, model, monitors, dict(tools or {}), dict(inputs or {})).go()


class _Run:
    def __init__(
        self,
        program: Program,
        model: Model,
        monitors: list[Monitor],
        tools: dict[str, Callable[..., Any]],
        inputs: dict[str, Any],
    ):
        chain = program.chain
        missing = sorted(set(chain.inputs) - set(inputs))
        extra = sorted(set(inputs) - set(chain.inputs))
        if missing or extra:
            raise ConfigurationError(
                f"chain {chain.name!r} takes the inputs {sorted(chain.inputs) or 'none'}; "
                + (f"missing: {', '.join(missing)}" if missing else f"unexpected: {', '.join(extra)}")
            )
        for name, annotation in chain.inputs.items():
            problem = _not_of_type(inputs[name], annotation)
            if problem is not None:
                raise ConfigurationError(f"chain {chain.name!r}: input {name!r} {problem}")
        unknown_tools = sorted(set(tools) - {s.name for s in chain.walk() if isinstance(s, ToolStep)})
        if unknown_tools:
            raise ConfigurationError(
                f"tools= names {', '.join(unknown_tools)}, which are not tool steps of the chain"
            )
        self.program = program
        self.model = model
        self.monitors = monitors
        self.tools = tools
        self.env: dict[str, Any] = dict(inputs)
        self.texts: dict[str, str] = {}  # the accepted text behind each value a model step bound
        self.trace: list[TraceStep] = []
        self.guards: list[GuardResult] = []
        self.known = chain.value_names
        for m in monitors:
            m.reset()

    def _stop(self, reason: StopReason, detail: str, violation: Violation | None = None) -> ChainResult:
        return ChainResult(
            ok=False,
            output=None,
            value=None,
            stop_reason=reason,
            trace=tuple(self.trace),
            violation=violation,
            detail=detail,
            guard_results=tuple(self.guards),
        )

    async def go(self) -> ChainResult:
        counters: tuple[tuple[int, int], ...] = ()
        node_id = self.program.entry
        while True:
            node = self.program.node(node_id)
            output: str | None = None
            value: Any = None
            if node.kind == "final":
                output, value = self._final_output(node)
            if node.symbol:
                for m in self.monitors:
                    violation = m.before(node, frozenset(self.env), output)
                    if violation is not None:
                        return self._stop(
                            "violation", f"stopped before {node.describe()}: {violation.message}", violation
                        )
                missing = sorted(node.reads - set(self.env))
                if missing:
                    return self._stop(
                        "undefined", f"{node.describe()} reads {', '.join(missing)}, not defined yet"
                    )
            if node.kind == "final":
                self.trace.append(TraceStep(node.describe(), "final", node.event, output, value))
                return ChainResult(
                    True, output, value, "final", tuple(self.trace), guard_results=tuple(self.guards)
                )
            if node.kind == "model":
                stopped = await self._model(node)
                if stopped is not None:
                    return stopped
                node_id = node.next
            elif node.kind == "tool":
                stopped = await self._tool(node)
                if stopped is not None:
                    return stopped
                node_id = node.next
            elif node.kind == "assign":
                assert isinstance(node.step, Assign)
                self.env[node.step.name] = node.step.value
                self.texts.pop(node.step.name, None)
                node_id = node.next
            elif node.kind == "branch":
                node_id = self._branch(node)
            elif node.kind == "loop":
                node_id, counters = loop_step(node, counters)
            elif node.kind == "break":
                counters = loop_counter_after_exit(counters, node.loop)
                node_id = node.next
            else:  # pragma: no cover - compile_chain makes no other kinds
                raise AssertionError(node.kind)

    def _final_output(self, node: Node) -> tuple[str | None, Any]:
        final = node.step
        assert isinstance(final, Final)
        if final.value is not None:
            if final.value not in self.env:
                return None, None  # reported as undefined below
            value = self.env[final.value]
            text = self.texts.get(final.value)
            return (text if text is not None else value if isinstance(value, str) else None), value
        assert isinstance(final.template, Template)
        if not final.template.variables <= set(self.env):
            return None, None
        text = final.template.render(**self.env)
        return text, text

    async def _model(self, node: Node) -> ChainResult | None:
        step = node.step
        assert isinstance(step, ModelStep) and isinstance(step.template, Template)
        guard = Guard(
            self.model,
            step.template,
            step.check,
            budget=Budget(attempts=step.attempts),
            max_tokens=step.max_tokens,
            chat=step.chat,
            system=step.system,
        )
        result = await guard.arun(**self.env)
        self.guards.append(result)
        if not result.ok or result.last is None:
            why = result.last.verdict.feedback() if result.last is not None else "no attempt was made"
            return self._stop(
                "rejected",
                f"{step.describe()}: no acceptable answer after {len(result.attempts)} attempt(s) "
                f"({result.stop_reason}); last problem: {clip(why, 200)}",
            )
        text = result.last.output
        value = text if step.output == "text" else result.value
        self.env[step.name] = value
        self.texts[step.name] = text
        self.trace.append(TraceStep(step.describe(), "model", step.event, text, result.value))
        return None

    async def _tool(self, node: Node) -> ChainResult | None:
        step = node.step
        assert isinstance(step, ToolStep) and step.name is not None
        fn = self.tools.get(step.name, step.fn)
        arguments = {p: self.env[v] for p, v in step.bindings(self.known).items()}
        try:
            result = fn(**arguments)
            if inspect.isawaitable(result):
                result = await result
        except Exception as e:  # a failing tool ends the run; the result says which and why
            self.trace.append(
                TraceStep(step.describe(), "tool", step.event, None, None, note=f"raised {e!r}")
            )
            return self._stop(
                "tool_error", f"{step.describe()} raised {type(e).__name__}: {clip(str(e), 200)}"
            )
        hints, _ = step.type_hints()
        problem = _not_of_type(result, hints["return"]) if "return" in hints else None
        if problem is not None:
            # The verifier assumed the declared type; a run outside it is stopped rather than trusted.
            self.trace.append(TraceStep(step.describe(), "tool", step.event, None, result, note=problem))
            return self._stop("tool_error", f"{step.describe()}: its result {problem}")
        self.env[step.name] = result
        self.texts.pop(step.name, None)
        self.trace.append(TraceStep(step.describe(), "tool", step.event, None, result))
        return None

    def _branch(self, node: Node) -> int:
        step = node.step
        assert isinstance(step, Branch)
        keys = list(step.cases)
        case = choose_case(keys, value_at(self.env[step.value_name], step.path))
        return node.otherwise if case is None else node.targets[case]


def _not_of_type(value: Any, annotation: Any) -> str | None:
    """None when ``value`` is a value of ``annotation`` (pydantic, strict), else what is wrong."""
    if annotation is None:
        return None
    if annotation is type(None):
        return None if value is None else f"is {clip(repr(value), 60)}, but the declared type is None"
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    except Exception:  # a type pydantic cannot check: the verifier does not enumerate it either
        return None
    try:
        adapter.validate_python(value, strict=True)
    except Exception:  # a ValidationError, or a validator failing on the value: it does not conform
        return f"is {clip(repr(value), 60)}, not a value of the declared type {annotation!r}"
    return None
