"""``Chain`` and its steps: a multi-step LLM program written as data, so it can be run and verified.

A chain is a list of steps over named values:

* ``ModelStep`` — build its ``Prompt`` from earlier values, ask the model through a ``Guard``, bind what
  the check accepted (its parsed value, or the accepted text) to a name;
* ``ToolStep`` — call a Python function (typed arguments taken from earlier values), bind its result;
* ``Assign`` — bind a constant;
* ``Branch`` — run the steps of the case equal to a value (or ``otherwise``);
* ``Loop`` — run a body at most ``max_iterations`` times (``Break`` leaves it early);
* ``Final`` — what the chain returns (a value, or a template rendered from values).

Every model and tool step emits an *event* (by default its value name for a model step, the function name
for a tool), and a finished run emits ``final``. Properties of a chain are stated over these events.

A chain is plain data: this module imports nothing else of ``guardrail.chains``. The runner
(``run_chain``) and the verifier (``verify``) are functions of a chain, in modules further down.
"""

from __future__ import annotations

import inspect
import keyword
import re
import typing
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from jinja2.defaults import DEFAULT_NAMESPACE

from ..checks.base import Check
from ..errors import ConfigurationError
from ..prompt import Prompt, Template

__all__ = [
    "FINAL_EVENT",
    "Assign",
    "Branch",
    "Break",
    "Chain",
    "Final",
    "Loop",
    "ModelStep",
    "Step",
    "ToolStep",
]

#: The event every finished run ends with.
FINAL_EVENT = "final"

_EVENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Names every Jinja template can use without being given them (range, dict, ...).
_JINJA_GLOBALS = frozenset(DEFAULT_NAMESPACE)


def _identifier(what: str, name: object) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ConfigurationError(f"{what} must be a Python identifier (letters, digits, '_'), not {name!r}")
    return name


def _event_name(what: str, event: object) -> str:
    if not isinstance(event, str) or not _EVENT.fullmatch(event):
        raise ConfigurationError(f"{what}: event names are letters, digits and '_', not {event!r}")
    if event == FINAL_EVENT:
        raise ConfigurationError(f"{what}: the event name {FINAL_EVENT!r} is reserved for the chain's end")
    return event


def _template(what: str, template: str | Template) -> Template:
    if isinstance(template, Template):
        return template
    if isinstance(template, str):
        return Template(template, name=what)
    raise ConfigurationError(
        f"{what}: a template is a str or a guardrail Template, not {type(template).__name__}"
    )


@dataclass(frozen=True, eq=False, init=False)
class ModelStep:
    """Ask the model; bind what ``check`` accepted to ``name``.

    ``prompt`` is a guardrail ``Prompt`` (template, chat/system, request parameters such as
    ``temperature`` and ``stop``) or just its template (a string or a ``Template``). The keyword settings
    ``max_tokens``, ``temperature``, ``stop``, ``chat`` and ``system`` are shorthands: given, they override
    the prompt's own, as for a ``Guard``. The step's request is built by ``prompt.build`` from the chain's
    values.

    ``output="value"`` binds the check's value (a parsed answer), ``"text"`` the accepted text itself.
    ``examples`` are outputs the check accepts, used as concrete outputs in counterexamples when the
    verifier cannot make one up (a ``Predicate`` check, say). ``attempts`` is the Guard's budget.
    """

    name: str
    prompt: Prompt
    check: Check
    event: str
    output: Literal["value", "text"]
    examples: tuple[str, ...]
    attempts: int

    def __init__(
        self,
        name: str,
        prompt: Prompt | Template | str | None = None,
        check: Check | None = None,
        *,
        event: str | None = None,
        output: Literal["value", "text"] = "value",
        examples: Sequence[str] = (),
        attempts: int = 3,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: str | Sequence[str] | None = None,
        chat: bool | None = None,
        system: str | None = None,
        template: str | Template | None = None,
    ) -> None:
        _identifier("a ModelStep's name", name)
        what = f"model step {name!r}"
        if template is not None:
            if prompt is not None:
                raise ConfigurationError(f"{what}: give prompt=... (template= is its deprecated old name)")
            warnings.warn(
                "ModelStep(template=...) is deprecated; pass the template (or a Prompt) as prompt=...",
                DeprecationWarning,
                stacklevel=2,
            )
            prompt = template
        if prompt is None:
            raise ConfigurationError(f"{what} needs a prompt: a template string, a Template or a Prompt")
        if not isinstance(check, Check):
            raise ConfigurationError(f"{what}: check must be a guardrail Check, not {type(check).__name__}")
        object.__setattr__(self, "name", name)
        object.__setattr__(
            self,
            "prompt",
            _prompt(
                what,
                prompt,
                chat=chat,
                system=system,
                params={"max_tokens": max_tokens, "temperature": temperature, "stop": stop},
            ),
        )
        object.__setattr__(self, "check", check)
        object.__setattr__(self, "event", _event_name(what, event or name))
        object.__setattr__(self, "output", output)
        object.__setattr__(self, "examples", tuple(examples))
        object.__setattr__(self, "attempts", attempts)
        if output not in ("value", "text"):
            raise ConfigurationError(f"{what}: output must be 'value' or 'text', not {output!r}")
        if not isinstance(attempts, int) or attempts < 1:
            raise ConfigurationError(f"{what}: attempts must be at least 1, not {attempts!r}")

    @property
    def template(self) -> Template:
        """The prompt's template."""
        template = self.prompt.template
        assert isinstance(template, Template)  # _prompt accepts only Templates
        return template

    @property
    def reads(self) -> frozenset[str]:
        """The values the template reads."""
        return self.template.variables

    def describe(self) -> str:
        return f"model step {self.name!r}"


def _prompt(
    what: str,
    prompt: Prompt | Template | str,
    *,
    chat: bool | None,
    system: str | None,
    params: Mapping[str, Any],
) -> Prompt:
    """``prompt`` as a ``Prompt`` with the step's shorthand settings applied (they override its own)."""
    if isinstance(prompt, str | Template):
        prompt = Prompt(_template(what, prompt))
    elif not isinstance(prompt, Prompt):
        raise ConfigurationError(
            f"{what}: the prompt is a template string, a Template or a Prompt, not {type(prompt).__name__}"
        )
    if not isinstance(prompt.template, Template):
        raise ConfigurationError(
            f"{what}: the prompt's template must be a guardrail Template (the chain reads which values it "
            f"uses), not {type(prompt.template).__name__}"
        )
    given = {key: value for key, value in params.items() if value is not None}
    try:
        settled = Prompt(
            prompt.template,
            prompt.chat if chat is None else chat,
            prompt.system if system is None else system,
            {**prompt.params, **given},
        )
        settled.request("")  # the parameters are checked now, not at the first model call
    except ConfigurationError as e:
        raise ConfigurationError(f"{what}: {e}") from None
    return settled


@dataclass(frozen=True, eq=False)
class ToolStep:
    """Call ``fn``; bind its result to ``name`` (default: the function's name).

    Each parameter takes the value named ``args.get(parameter, parameter)``; a parameter with a default and
    no such value in the chain keeps its default. The verifier models a tool by its type hints (parameters
    and return), as it models the model by its checks, so untyped tools make its answers unknown.
    """

    fn: Callable[..., Any]
    name: str | None = None
    args: Mapping[str, str] = field(default_factory=dict)
    event: str | None = None

    def __post_init__(self) -> None:
        if not callable(self.fn):
            raise ConfigurationError(f"ToolStep needs a callable, got {type(self.fn).__name__}")
        fn_name = getattr(self.fn, "__name__", None)
        if self.name is None and (not isinstance(fn_name, str) or not fn_name.isidentifier()):
            raise ConfigurationError(f"ToolStep({self.fn!r}) needs name=...: the function has no usable name")
        name = _identifier("a ToolStep's name", self.name or fn_name)
        object.__setattr__(self, "name", name)
        what = f"tool step {name!r}"
        object.__setattr__(self, "event", _event_name(what, self.event or fn_name or name))
        object.__setattr__(self, "args", dict(self.args))
        parameters = self.signature.parameters
        for parameter, value in self.args.items():
            if parameter not in parameters:
                raise ConfigurationError(
                    f"{what}: args names {parameter!r}, which is not a parameter of {fn_name}() "
                    f"(its parameters: {', '.join(parameters) or 'none'})"
                )
            _identifier(f"{what}: the value for parameter {parameter!r}", value)
        for p in parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
                raise ConfigurationError(
                    f"{what}: parameter {p.name!r} is {p.kind.description}; tools take keyword arguments only"
                )

    @property
    def signature(self) -> inspect.Signature:
        try:
            return inspect.signature(self.fn)
        except (TypeError, ValueError) as e:
            raise ConfigurationError(
                f"tool step {self.name!r}: cannot read the signature of {self.fn!r}"
            ) from e

    def bindings(self, known: frozenset[str]) -> dict[str, str]:
        """parameter -> the value it takes; parameters left at their defaults are left out."""
        out: dict[str, str] = {}
        for p in self.signature.parameters.values():
            value = self.args.get(p.name, p.name)
            if p.name in self.args or value in known or p.default is inspect.Parameter.empty:
                out[p.name] = value
        return out

    def type_hints(self) -> tuple[dict[str, Any], list[str]]:
        """The tool's type hints, and what lacks one (parameter names, or ``"return"``)."""
        try:
            hints = typing.get_type_hints(self.fn)
        except Exception:  # unresolvable forward references: as good as no hints
            hints = {}
        missing = [p for p in self.signature.parameters if p not in hints]
        if "return" not in hints:
            missing.append("return")
        return hints, missing

    def describe(self) -> str:
        fn_name = getattr(self.fn, "__name__", "tool")
        return f"tool {fn_name} -> {self.name!r}" if fn_name != self.name else f"tool {fn_name}"


@dataclass(frozen=True, eq=False)
class Assign:
    """Bind the constant ``value`` to ``name``."""

    name: str
    value: Any

    def __post_init__(self) -> None:
        _identifier("an Assign's name", self.name)

    def describe(self) -> str:
        return f"assignment to {self.name!r}"


@dataclass(frozen=True, eq=False)
class Branch:
    """Run the steps of the first case whose key equals the value ``on`` (``"name"`` or ``"name.field"``),
    or ``otherwise`` when none does. Keys compare with ``==``, except that bools match only bools."""

    on: str
    cases: Mapping[Any, Sequence[Step]]
    otherwise: Sequence[Step] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.on, str) or not self.on:
            raise ConfigurationError(
                f"Branch(on=...) names a value, such as 'answer' or 'call.name'; got {self.on!r}"
            )
        for part in self.on.split("."):
            _identifier(f"Branch(on={self.on!r})", part)
        object.__setattr__(self, "cases", {k: tuple(v) for k, v in dict(self.cases).items()})
        object.__setattr__(self, "otherwise", tuple(self.otherwise))

    @property
    def value_name(self) -> str:
        return self.on.split(".")[0]

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.on.split(".")[1:])

    def describe(self) -> str:
        return f"branch on {self.on!r}"


@dataclass(frozen=True, eq=False)
class Loop:
    """Run ``body`` up to ``max_iterations`` times; ``None`` means no bound (only a ``Break`` ends it)."""

    body: Sequence[Step]
    max_iterations: int | None
    name: str = "loop"

    def __post_init__(self) -> None:
        object.__setattr__(self, "body", tuple(self.body))
        if self.max_iterations is not None and (
            not isinstance(self.max_iterations, int) or self.max_iterations < 1
        ):
            raise ConfigurationError(
                f"loop {self.name!r}: max_iterations must be a positive int or None, "
                f"not {self.max_iterations!r}"
            )

    def describe(self) -> str:
        bound = "no bound" if self.max_iterations is None else f"at most {self.max_iterations} iterations"
        return f"loop {self.name!r} ({bound})"


@dataclass(frozen=True, eq=False)
class Break:
    """Leave the innermost loop."""

    def describe(self) -> str:
        return "break"


@dataclass(frozen=True, eq=False)
class Final:
    """The chain's result: the value ``value`` (for a model step, its accepted text is the output), or
    ``template`` rendered from the values."""

    value: str | None = None
    template: str | Template | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.template is None):
            raise ConfigurationError("Final needs exactly one of value=... (a value name) or template=...")
        if self.value is not None:
            _identifier("Final(value=...)", self.value)
        if self.template is not None:
            object.__setattr__(self, "template", _template("the final template", self.template))

    @property
    def reads(self) -> frozenset[str]:
        if self.value is not None:
            return frozenset({self.value})
        assert isinstance(self.template, Template)
        return self.template.variables

    def describe(self) -> str:
        return f"final output {self.value!r}" if self.value is not None else "final output (template)"


#: Methods a Chain had before it became plain data, and what replaces them.
_MOVED = {
    "run": "guardrail.chains.run_chain(chain, model, inputs={...})",
    "arun": "guardrail.chains.arun_chain(chain, model, inputs={...})",
    "verify": "guardrail.chains.verify(chain, property) for each property",
}

Step = ModelStep | ToolStep | Assign | Branch | Loop | Break
_STEP_TYPES = (ModelStep, ToolStep, Assign, Branch, Loop, Break)


class Chain:
    """A multi-step LLM program: ``steps`` over named values, then ``final``.

    ``inputs`` are the values a run starts with (a mapping name -> type, so the verifier knows their domain,
    or just names). A chain is plain data: run it with ``run_chain(chain, model, inputs={...})``, verify it
    with ``verify(chain, property)``.
    """

    def __init__(
        self,
        steps: Sequence[Step],
        final: Final | str,
        *,
        inputs: Mapping[str, Any] | Sequence[str] = (),
        name: str = "chain",
    ):
        self.name = name
        self.steps: tuple[Step, ...] = tuple(steps)
        self.final = Final(value=final) if isinstance(final, str) else final
        if not isinstance(self.final, Final):
            raise ConfigurationError(f"chain {name!r}: final must be a Final or a value name, not {final!r}")
        if isinstance(inputs, Mapping):
            self.inputs: dict[str, Any] = {_identifier("an input name", k): v for k, v in inputs.items()}
        else:
            self.inputs = {_identifier("an input name", k): None for k in inputs}
        self._validate(self.steps, in_loop=False)
        known = self.value_names
        readers: list[tuple[str, frozenset[str]]] = [(self.final.describe(), self.final.reads)]
        for step in self.walk():
            if isinstance(step, ModelStep):
                readers.append((step.describe(), step.reads - _JINJA_GLOBALS))
            elif isinstance(step, ToolStep):
                readers.append((step.describe(), frozenset(step.bindings(known).values())))
            elif isinstance(step, Branch):
                readers.append((step.describe(), frozenset({step.value_name})))
        for who, reads in readers:
            for needed in sorted(reads - known):
                raise ConfigurationError(
                    f"chain {name!r}: {who} reads {needed!r}, which no input, step or assignment defines "
                    f"(defined: {', '.join(sorted(known)) or 'nothing'})"
                )

    def _validate(self, steps: Sequence[Step], *, in_loop: bool) -> None:
        for step in steps:
            if not isinstance(step, _STEP_TYPES):
                raise ConfigurationError(
                    f"chain {self.name!r}: {step!r} is not a step "
                    "(use ModelStep, ToolStep, Assign, Branch, Loop or Break)"
                )
            if isinstance(step, Break) and not in_loop:
                raise ConfigurationError(f"chain {self.name!r}: Break outside of any Loop")
            if isinstance(step, Branch):
                for case in step.cases.values():
                    self._validate(case, in_loop=in_loop)
                self._validate(step.otherwise, in_loop=in_loop)
            if isinstance(step, Loop):
                self._validate(step.body, in_loop=True)

    def walk(self) -> Iterator[Step]:
        """Every step, nested ones included, in source order."""

        def visit(steps: Sequence[Step]) -> Iterator[Step]:
            for step in steps:
                yield step
                if isinstance(step, Branch):
                    for case in step.cases.values():
                        yield from visit(case)
                    yield from visit(step.otherwise)
                elif isinstance(step, Loop):
                    yield from visit(step.body)

        return visit(self.steps)

    @property
    def value_names(self) -> frozenset[str]:
        """Every name an input, step or assignment can bind."""
        names = set(self.inputs)
        for step in self.walk():
            if isinstance(step, ModelStep | ToolStep | Assign):
                assert step.name is not None
                names.add(step.name)
        return frozenset(names)

    @property
    def events(self) -> frozenset[str]:
        """The event names the chain's steps emit (``final`` included)."""
        found = {FINAL_EVENT}
        for step in self.walk():
            if isinstance(step, ModelStep | ToolStep):
                assert step.event is not None
                found.add(step.event)
        return frozenset(found)

    if not TYPE_CHECKING:  # invisible to type checkers, so typos in typed code stay errors

        def __getattr__(self, name: str) -> NoReturn:
            moved = _MOVED.get(name)
            if moved is not None:
                raise AttributeError(f"Chain.{name} was removed (a Chain is plain data); use {moved}")
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        return f"Chain({self.name!r}, {len(self.steps)} steps)"
