"""``Guard``: generate → check → accept, or repair and try again.

Every attempt is kept in the result's trace: the request, the output, the verdict, whether the stream was
cut short. With a streaming model the Guard checks each prefix as it arrives and stops generation as soon
as no continuation could be accepted, then repairs.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._secrets import scrub, scrub_data
from ._sync import run_sync
from ._text import clip, quoted, show_value
from .checks.base import Check, ErrorDetail, Verdict
from .models.accounting import UsageSummary
from .models.base import Model
from .models.types import Completion, Message, Request, ToolCall
from .prompt import Prompt, Renderable

StopReason = Literal["accepted", "attempts", "tokens", "seconds", "repeated_error"]


# --- the trace ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    index: int
    strategy: str
    request: Request
    output: str
    verdict: Verdict
    completion: Completion | None
    #: Characters received before the stream was cut because no continuation could be accepted.
    aborted_at: int | None
    seconds: float

    @property
    def tokens(self) -> int:
        return self.completion.usage.total_tokens if self.completion else 0

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The native tool calls the model answered with (none for a text answer)."""
        return self.completion.tool_calls if self.completion else ()

    def to_dict(self) -> dict[str, Any]:
        data = {
            "index": self.index,
            "strategy": self.strategy,
            "request": self.request.model_dump(mode="json", exclude_defaults=True),
            "output": self.output,
            "tool_calls": [c.model_dump() for c in self.tool_calls],
            "verdict": self.verdict.to_dict(),
            "aborted_at": self.aborted_at,
            "tokens": self.tokens,
            "cached": bool(self.completion and self.completion.cached),
            "seconds": round(self.seconds, 4),
        }
        return scrub_data(data)  # traces are written to files; a request may quote a secret


@dataclass(frozen=True)
class GuardResult:
    ok: bool
    value: Any
    attempts: tuple[Attempt, ...]
    stop_reason: StopReason
    usage: UsageSummary
    seconds: float

    @property
    def last(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def tokens_saved_by_abort(self) -> int:
        """Upper bound on tokens not generated because streams were cut (max_tokens minus what was made)."""
        saved = 0
        for a in self.attempts:
            if a.aborted_at is not None and a.completion is not None:
                saved += max(0, a.request.max_tokens - a.completion.usage.completion_tokens)
        return saved

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "value": self.attempts[-1].verdict.to_dict()["value"] if self.ok and self.attempts else None,
            "stop_reason": self.stop_reason,
            "attempts": [a.to_dict() for a in self.attempts],
            "usage": self.usage.to_dict(),
            "seconds": round(self.seconds, 4),
        }

    def format_trace(self, width: int = 100) -> str:
        """A readable account of every attempt."""
        lines = [
            f"Guard {'accepted' if self.ok else 'gave up'} after {len(self.attempts)} attempt(s) "
            f"({self.stop_reason}); {self.usage.total_tokens} tokens, {self.seconds:.2f} s"
        ]
        for a in self.attempts:
            status = "accepted" if a.verdict.ok else "rejected"
            cut = f", stream cut at char {a.aborted_at}" if a.aborted_at is not None else ""
            lines.append(f"  #{a.index} [{a.strategy}] {status}{cut}: output {quoted(a.output, width)}")
            for call in a.tool_calls:
                lines.append(
                    f"      tool call {call.id or '(no id)'}: {call.name}({quoted(call.arguments, width)})"
                )
            for e in a.verdict.errors:
                where = e.location()
                # Checks often name the location in their message already; don't say it twice.
                at = f" at {where}" if where and where not in e.message else ""
                lines.append(f"      ✗ {e.check}{at}: {e.message}")
                lines.append(f"        → feedback: {e.feedback}")
        return scrub("\n".join(lines))


# --- repair strategies --------------------------------------------------------------------------------
class Repair(ABC):
    """Builds the next request after a rejection."""

    name: str = "repair"
    #: Whether an identical error on consecutive attempts means repair is making no progress.
    stops_on_repeat: bool = True

    @abstractmethod
    def next_request(self, original: Request, history: list[Attempt]) -> Request: ...


def _with_note(original: Request, note: str, previous_output: str | None) -> Request:
    """Append a repair note: as chat turns for chat requests, as text after the prompt otherwise."""
    if original.messages is not None:
        messages = list(original.messages)
        if previous_output is not None:
            messages.append(Message(role="assistant", content=previous_output))
        messages.append(Message(role="user", content=note))
        return original.model_copy(update={"messages": tuple(messages)})
    assert original.prompt is not None
    shown = f"{previous_output}\n" if previous_output is not None else ""
    return original.model_copy(update={"prompt": f"{original.prompt}{shown}\n{note}\n"})


def _tool_protocol_reask(original: Request, last: Attempt) -> Request | None:
    """The re-ask in the tool protocol's own way, or None where it does not apply.

    It applies when tools were offered and the model answered with native tool calls that can be answered
    one by one (each has an id of its own): the conversation continues with the assistant's message carrying
    those calls, then one ``tool`` message per call with the errors located in that call (or saying it was
    valid), then a user message with all the feedback (errors about the answer as a whole, such as too many
    calls or a later check's, have no call to belong to).
    """
    calls = last.tool_calls
    ids = [c.id for c in calls]
    if (
        original.messages is None
        or original.tools is None
        or not calls
        or "" in ids
        or len(set(ids)) < len(ids)
    ):
        return None
    per_call: dict[int, list[ErrorDetail]] = {}
    for error in last.verdict.errors:
        index = error.path[0] if error.path and isinstance(error.path[0], int) else None
        if index is not None and 0 <= index < len(calls):
            per_call.setdefault(index, []).append(error)
    messages = list(original.messages)
    messages.append(Message(role="assistant", content=last.output or None, tool_calls=calls))
    for i, call in enumerate(calls):
        errors = per_call.get(i)
        if errors:
            content = "Error: the call was rejected. " + " ".join(e.feedback for e in errors)
        else:
            content = "These arguments are valid; repeat this call unchanged when you answer again."
        messages.append(Message(role="tool", tool_call_id=call.id, content=content))
    # The feedback is repeated in a closing user turn: some servers' function-calling templates leave tool
    # results out of the prompt (llama-cpp-python's chatml-function-calling does), and the model must see it.
    note = " ".join(e.feedback for e in last.verdict.errors)
    messages.append(
        Message(role="user", content=f"Your tool call was rejected: {note} Call the tool again, corrected.")
    )
    return original.model_copy(update={"messages": tuple(messages)})


class ReAsk(Repair):
    """Ask again, saying what was wrong with the last answer (the default).

    A rejected native tool call is re-asked through the tool protocol (see ``_tool_protocol_reask``).
    """

    name = "reask"

    def next_request(self, original: Request, history: list[Attempt]) -> Request:
        protocol = _tool_protocol_reask(original, history[-1])
        if protocol is not None:
            return protocol
        feedback = history[-1].verdict.feedback()
        if original.messages is not None:
            note = f"Your previous answer was rejected: {feedback} Please answer again."
            return _with_note(original, note, None)
        assert original.prompt is not None
        preamble = f"(Note: a previous answer was rejected. {feedback})\n"
        return original.model_copy(update={"prompt": preamble + original.prompt})


class Refine(Repair):
    """Show the previous output and its error, and ask for a corrected version of it."""

    name = "refine"

    def next_request(self, original: Request, history: list[Attempt]) -> Request:
        last = history[-1]
        protocol = _tool_protocol_reask(original, last)
        if protocol is not None:
            return protocol
        note = f"That answer has an error: {last.verdict.feedback()} Corrected answer:"
        return _with_note(original, note, last.output)


class Simplify(Repair):
    """Ask for only what the check expects, nothing else."""

    name = "simplify"

    def next_request(self, original: Request, history: list[Attempt]) -> Request:
        expected = next((e.expected for e in history[-1].verdict.errors if e.expected), None)
        want = f"only {expected}" if expected else "only the answer itself"
        return _with_note(original, f"Reply with {want}, with no explanation and no extra text.", None)


class Resample(Repair):
    """Draw a fresh sample of the original request (temperature raised to at least ``temperature``)."""

    name = "resample"
    stops_on_repeat = False

    def __init__(self, temperature: float = 0.7):
        self.temperature = temperature

    def next_request(self, original: Request, history: list[Attempt]) -> Request:
        return original.model_copy(
            update={
                "sample": original.sample + len(history),
                "temperature": max(original.temperature, self.temperature),
            }
        )


STRATEGIES: dict[str, Callable[[], Repair]] = {
    "reask": ReAsk,
    "refine": Refine,
    "simplify": Simplify,
    "resample": Resample,
}


# --- the guard ----------------------------------------------------------------------------------------
@dataclass
class Budget:
    attempts: int = 3
    tokens: int | None = None
    seconds: float | None = None


@dataclass
class Guard:
    """Generate with ``model`` from ``prompt``, accept only what ``check`` accepts, repair otherwise.

    ``prompt`` is a ``Prompt``, a string (a Jinja2 template, rendered in a sandbox), anything with
    ``render(**vars) -> str``, or a callable building a ``Request`` from the variables. The keyword
    settings ``max_tokens``, ``temperature``, ``stop``, ``chat`` and ``system`` are shorthands: given, they
    override the prompt's own. ``stream`` defaults to streaming when the model streams natively and the
    check can judge prefixes.
    """

    model: Model
    prompt: Prompt | Renderable | str | Callable[..., Request]
    check: Check
    repair: Repair | str = "reask"
    budget: Budget = field(default_factory=Budget)
    max_tokens: int | None = None
    temperature: float | None = None
    stop: tuple[str, ...] | None = None
    chat: bool | None = None
    system: str | None = None
    stream: bool | None = None

    def __post_init__(self) -> None:
        if isinstance(self.repair, str):
            if self.repair not in STRATEGIES:
                raise ValueError(
                    f"unknown repair strategy {self.repair!r}; choose one of {sorted(STRATEGIES)}"
                )
            self.repair = STRATEGIES[self.repair]()
        if isinstance(self.prompt, Prompt | str | Renderable):
            self.prompt = self._settled(self.prompt)
        elif not callable(self.prompt):
            raise TypeError(
                f"a Guard's prompt must be a Prompt, a template or a callable, not {self.prompt!r}"
            )

    def _settled(self, prompt: Prompt | Renderable | str) -> Prompt:
        """``prompt`` as a ``Prompt``, with this Guard's keyword settings applied."""
        base = prompt if isinstance(prompt, Prompt) else Prompt(prompt)
        params = {
            name: value
            for name, value in (
                ("max_tokens", self.max_tokens),
                ("temperature", self.temperature),
                ("stop", self.stop),
            )
            if value is not None
        }
        chat = base.chat if self.chat is None else self.chat
        system = base.system if self.system is None else self.system
        return Prompt(base.template, chat, system, {**base.params, **params})

    def build_request(self, variables: Mapping[str, Any]) -> Request:
        if isinstance(self.prompt, Prompt):
            return self.prompt.build(**variables)
        assert callable(self.prompt)
        request = self.prompt(**variables)
        if not isinstance(request, Request):
            raise TypeError("a prompt callable must return a guardrail Request")
        return request

    def run(self, **variables: Any) -> GuardResult:
        return run_sync(self.arun(**variables), "Guard.run")

    async def arun(self, **variables: Any) -> GuardResult:
        original = await self._with_tools(self.build_request(variables))
        assert isinstance(self.repair, Repair)
        repair: Repair = self.repair
        started = time.perf_counter()
        before = self.model.meter.summary()
        history: list[Attempt] = []
        request = original
        stop: StopReason = "attempts"
        tokens = 0
        while True:
            remaining = None
            if self.budget.seconds is not None:
                remaining = self.budget.seconds - (time.perf_counter() - started)
                if remaining <= 0:
                    stop = "seconds"
                    break
            strategy = "initial" if not history else repair.name
            try:
                attempt = await asyncio.wait_for(self._attempt(len(history), strategy, request), remaining)
            except TimeoutError:
                stop = "seconds"
                break
            history.append(attempt)
            tokens += attempt.tokens
            if attempt.verdict.ok:
                stop = "accepted"
                break
            if len(history) >= self.budget.attempts:
                stop = "attempts"
                break
            if self.budget.tokens is not None and tokens >= self.budget.tokens:
                stop = "tokens"
                break
            if (
                repair.stops_on_repeat
                and len(history) >= 2
                and history[-1].verdict.signature() == history[-2].verdict.signature()
            ):
                stop = "repeated_error"
                break
            request = repair.next_request(original, history)
        accepted = history[-1] if history and history[-1].verdict.ok else None
        return GuardResult(
            ok=accepted is not None,
            value=accepted.verdict.value if accepted else None,
            attempts=tuple(history),
            stop_reason=stop,
            usage=self.model.meter.summary() - before,
            seconds=time.perf_counter() - started,
        )

    async def _with_tools(self, request: Request) -> Request:
        """``request`` offering the check's tools, when the check has tools, the request is a chat request
        that offers none yet, and the model supports tools; otherwise unchanged (the model then answers
        in JSON text, which the check reads)."""
        tools = self.check.request_tools()
        if tools is None or request.messages is None or request.tools is not None:
            return request
        if not await self.model.asupports_tools():
            return request
        return request.model_copy(update={"tools": tools})

    def _should_stream(self) -> bool:
        if self.stream is not None:
            return self.stream
        return self.model.streams_natively and self.check.judges_prefixes

    async def _attempt(self, index: int, strategy: str, request: Request) -> Attempt:
        started = time.perf_counter()
        aborted_at: int | None = None
        # Native tool calls arrive whole at the end of a stream: a stream has no text prefix to judge.
        if self._should_stream() and request.tools is None:
            stream = self.model.astream(request)
            try:
                async for _ in stream:
                    if not self.check.viable(stream.text):
                        aborted_at = _first_dead_prefix(self.check, stream.text)
                        break
            finally:
                await stream.aclose()
            completion = stream.completion
            assert completion is not None
            output = stream.text
        else:
            completion = await self.model.acomplete(request)
            output = completion.text
        verdict = await self.check.acheck(completion if self.check.judges_completions else output)
        if aborted_at is not None and verdict.ok:
            # viable() said no continuation works, yet the partial text passed: trust the full check.
            aborted_at = None
        if aborted_at is not None and not verdict.errors:
            verdict = Verdict.reject(_dead_prefix_error(self.check, output, aborted_at))
        return Attempt(
            index=index,
            strategy=strategy,
            request=request,
            output=output,
            verdict=verdict,
            completion=completion,
            aborted_at=aborted_at,
            seconds=time.perf_counter() - started,
        )


def _first_dead_prefix(check: Check, text: str) -> int:
    """Length of the shortest prefix of ``text`` that no continuation can fix (binary search)."""
    lo, hi = 0, len(text)  # text[:lo] viable (the empty prefix is assumed so), text[:hi] not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if check.viable(text[:mid]):
            lo = mid
        else:
            hi = mid
    return hi


def _dead_prefix_error(check: Check, text: str, at: int) -> ErrorDetail:
    tail = text[max(0, at - 20) : at]
    return ErrorDetail(
        check=check.name,
        code="stream.dead_prefix",
        message=f"no continuation of the output can be accepted after {show_value(tail)}",
        feedback=f"Your answer went wrong at character {at}: {show_value(tail)} cannot start a valid answer.",
        offset=at,
        found=clip(tail, 20),
    )
