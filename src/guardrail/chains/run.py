"""Running a chain for real: walk its control automaton, ask the model through a ``Guard`` at each model
step, call the tools, and let monitors stop the run before a step that would break a property.

A model that never gives an acceptable answer, a tool that raises, a monitor that objects: each ends the
run with a ``ChainResult`` saying so (``stop_reason``, and ``error`` with a stable ``code``), never with an
exception.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import TypeAdapter

from .._sync import run_sync
from .._text import clip, show_value
from ..checks.base import ErrorDetail, Verdict
from ..errors import ConfigurationError
from ..guard import Budget, Guard, GuardResult
from ..models.base import Model
from ..prompt import Template
from .chain import Assign, Branch, Chain, Final, ModelStep, ToolStep
from .control import (
    ControlGraph,
    Node,
    choose_case,
    compile_chain,
    loop_counter_after_exit,
    loop_step,
    value_at,
)
from .monitor import Monitor, Violation, make_monitor
from .properties import Property

__all__ = ["ERROR_CODES", "ChainResult", "StopReason", "TraceStep", "arun_chain", "run_chain"]

StopReason = Literal["final", "rejected", "tool_error", "violation", "undefined"]

#: The stable ``ErrorDetail.code`` of each way a run can stop early, and what it means (programs compare
#: codes, never messages).
ERROR_CODES: dict[str, str] = {
    "chain.step_rejected": "no answer the step's check accepted within its attempts",
    "chain.tool_error": "a tool raised",
    "chain.tool_result_type": "a tool returned a value outside its declared return type",
    "chain.property_violated": "a monitor stopped the run before a step that would break its property",
    "chain.value_undefined": "a step reads a value that no step bound on this path",
}


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
    """How a run ended. ``ok`` runs have the chain's ``output`` (text) and ``value``; the others say why
    they stopped: ``stop_reason``, ``detail`` (for people) and ``error`` (with a stable ``code``, one of
    ``ERROR_CODES``), and ``violation`` when a monitor stopped them."""

    ok: bool
    output: str | None
    value: Any
    stop_reason: StopReason
    trace: tuple[TraceStep, ...]
    violation: Violation | None = None
    detail: str = ""
    guard_results: tuple[GuardResult, ...] = field(default=())
    error: ErrorDetail | None = None

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
            "error": self.error.to_dict() if self.error else None,
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
    graph = compile_chain(chain)
    monitors = [make_monitor(p, graph) for p in monitor]
    return await _Run(graph, model, monitors, dict(tools or {}), dict(inputs or {})).go()


class _Run:
    def __init__(
        self,
        graph: ControlGraph,
        model: Model,
        monitors: list[Monitor],
        tools: dict[str, Callable[..., Any]],
        inputs: dict[str, Any],
    ):
        chain = graph.chain
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
        self.graph = graph
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

    def _stop(
        self,
        reason: StopReason,
        detail: str,
        *,
        code: str,
        judge: str,
        feedback: str,
        found: str | None = None,
        violation: Violation | None = None,
    ) -> ChainResult:
        """The result of a run stopped early; ``judge`` names what refused (a check, a property, a step)."""
        assert code in ERROR_CODES, code
        error = ErrorDetail(check=judge, message=detail, feedback=feedback, code=code, found=found)
        return ChainResult(
            ok=False,
            output=None,
            value=None,
            stop_reason=reason,
            trace=tuple(self.trace),
            violation=violation,
            detail=detail,
            guard_results=tuple(self.guards),
            error=error,
        )

    async def go(self) -> ChainResult:
        counters: tuple[tuple[int, int], ...] = ()
        node_id = self.graph.entry
        while True:
            node = self.graph.node(node_id)
            output: str | None = None
            value: Any = None
            if node.kind == "final":
                output, value = self._final_output(node)
            if node.symbol:
                for m in self.monitors:
                    violation = m.before(node, frozenset(self.env), output)
                    if violation is not None:
                        return self._stop(
                            "violation",
                            f"stopped before {node.describe()}: {violation.message}",
                            code="chain.property_violated",
                            judge=violation.property,
                            feedback=clip(violation.message, 200),
                            found=violation.event,
                            violation=violation,
                        )
                missing = sorted(node.reads - set(self.env))
                if missing:
                    message = f"{node.describe()} reads {', '.join(missing)}, not defined yet"
                    return self._stop(
                        "undefined",
                        message,
                        code="chain.value_undefined",
                        judge=f"chain {self.graph.chain.name}",
                        feedback=message,
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
        assert isinstance(step, ModelStep)
        # The step's Prompt builds the request (template, chat/system, temperature, stop, ...).
        guard = Guard(self.model, step.prompt, step.check, budget=Budget(attempts=step.attempts))
        result = await guard.arun(**self.env)
        self.guards.append(result)
        if not result.ok or result.last is None:
            why = result.last.verdict.feedback() if result.last is not None else "no attempt was made"
            return self._stop(
                "rejected",
                f"{step.describe()}: no acceptable answer after {len(result.attempts)} attempt(s) "
                f"({result.stop_reason}); last problem: {clip(why, 200)}",
                code="chain.step_rejected",
                judge=step.check.name,
                feedback=clip(why, 200),
                found=clip(result.last.output, 60) if result.last is not None else None,
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
            message = f"{step.describe()} raised {type(e).__name__}: {clip(str(e), 200)}"
            return self._stop(
                "tool_error",
                message,
                code="chain.tool_error",
                judge=step.describe(),
                feedback=message,
                found=type(e).__name__,
            )
        hints, _ = step.type_hints()
        problem = _not_of_type(result, hints["return"]) if "return" in hints else None
        if problem is not None:
            # The verifier assumed the declared type; a run outside it is stopped rather than trusted.
            self.trace.append(TraceStep(step.describe(), "tool", step.event, None, result, note=problem))
            message = f"{step.describe()}: its result {problem}"
            return self._stop(
                "tool_error",
                message,
                code="chain.tool_result_type",
                judge=step.describe(),
                feedback=message,
                found=show_value(result),
            )
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
        return None if value is None else f"is {show_value(value)}, but the declared type is None"
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    except Exception:  # a type pydantic cannot check: the verifier does not enumerate it either
        return None
    try:
        adapter.validate_python(value, strict=True)
    except Exception:  # a ValidationError, or a validator failing on the value: it does not conform
        return f"is {show_value(value)}, not a value of the declared type {annotation!r}"
    return None
