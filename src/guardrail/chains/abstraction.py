"""The model as a black box: a model step returns *any* text its check accepts, so its value ranges over
the check's language. This module derives that range, the step's abstract *domain*, from the check.

Domains:

* ``Finite`` — finitely many values, each with a text the check accepts and turns into it (a yes/no or
  A–E grammar, an automaton with a finite language, ``Literal``/enum/bool schemas). A JSON object whose
  fields are finite is finite too; its other fields are *opaque* (one example value stands for all);
* ``IntRange`` — an integer between bounds (a schema ``int`` with ``ge``/``le``), split exactly by branches;
* ``AnyValue`` — infinitely many or unknown values ("any tree", "any text", "any JSON object"), with the
  reason they cannot be enumerated and, when one is known, an example.

Branching on a ``Finite`` or ``IntRange`` value splits it exactly; on an ``AnyValue`` (or an opaque field)
every case stays possible, and the verifier marks that path as over-approximated.

Each ``Abstraction`` also carries a regular superset of the accepted *texts* when one is known (the
automaton itself, or one built from a non-recursive grammar): it decides "the final output passes check P".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .._text import clip
from ..checks.automaton import Automaton
from ..checks.base import Check, Pipeline
from ..checks.grammar import Grammar
from ..checks.predicate import Converter, Predicate
from ..checks.schema import Schema, ToolCalls
from ..errors import ConfigurationError
from .control import choose_case, value_at
from .languages import automaton_fsm, finite_texts

__all__ = [
    "LIMIT",
    "Abstraction",
    "AnyValue",
    "Domain",
    "Finite",
    "IntRange",
    "Sample",
    "Split",
    "abstract_check",
]

#: The most values a finite domain enumerates; beyond it a language counts as "cannot be enumerated".
LIMIT = 256


@dataclass(frozen=True, eq=False)
class Sample:
    """One possible value, with a text the step's check accepts and turns into it (None for values that
    are not model outputs: tool results, constants)."""

    value: Any
    text: str | None


class Domain(ABC):
    """The set of values a step can bind, as far as the verifier knows."""

    @property
    @abstractmethod
    def description(self) -> str:
        """In words: "one of: 'A', 'B'", "any tree", ..."""

    @abstractmethod
    def key(self) -> Hashable:
        """Identifies the domain in an exploration state."""

    @abstractmethod
    def witness(self) -> Sample | None:
        """A value of the domain with its text, or None when no example is known."""

    @abstractmethod
    def refine(self, path: tuple[str, ...], keys: Sequence[Any]) -> list[Split]:
        """How a branch on ``value.path`` over case ``keys`` splits the domain."""

    def samples(self) -> tuple[Sample, ...] | None:
        """Every value (exactly), when the domain is finite and fully known."""
        return None


@dataclass(frozen=True)
class Split:
    """One way a branch can go: ``case`` (an index into the keys, None for ``otherwise``), the domain that
    remains on that way, and whether the way is certain (``exact``) or only not ruled out."""

    case: int | None
    domain: Domain
    exact: bool
    reason: str = ""


class Finite(Domain):
    """Finitely many values. ``opaque`` fields (name -> why) are not enumerated: each sample carries one
    example value for them, so branches on them are over-approximated."""

    def __init__(self, samples: Sequence[Sample], *, opaque: Mapping[str, str] | None = None):
        self._samples = tuple(samples)
        self.opaque: dict[str, str] = dict(opaque or {})

    @property
    def description(self) -> str:
        if not self._samples:
            return "no value at all"
        if self.opaque:
            fields = ", ".join(f"{name} (any: {why})" for name, why in sorted(self.opaque.items()))
            return f"{len(self._samples)} shape(s) of object; not enumerated: {fields}"
        shown = ", ".join(clip(repr(s.value), 30) for s in self._samples[:6])
        more = f", … ({len(self._samples)} values)" if len(self._samples) > 6 else ""
        return f"one of: {shown}{more}"

    def key(self) -> Hashable:
        # By content, not identity: the same values reached twice must be the same state, or loops that
        # re-split a domain would never stop producing "new" states.
        return ("finite", tuple(_sample_key(s) for s in self._samples), tuple(sorted(self.opaque)))

    def witness(self) -> Sample | None:
        return self._samples[0] if self._samples else None

    def samples(self) -> tuple[Sample, ...] | None:
        return None if self.opaque else self._samples

    @property
    def members(self) -> tuple[Sample, ...]:
        """The samples, opaque fields or not."""
        return self._samples

    def refine(self, path: tuple[str, ...], keys: Sequence[Any]) -> list[Split]:
        if path and path[0] in self.opaque:
            why = f"field {path[0]!r} is not enumerated ({self.opaque[path[0]]})"
            return _every_way(self, keys, why)
        groups: dict[int | None, list[Sample]] = {}
        for sample in self._samples:
            groups.setdefault(choose_case(keys, value_at(sample.value, path)), []).append(sample)
        return [Split(case, Finite(group, opaque=self.opaque), True) for case, group in groups.items()]


class IntRange(Domain):
    """The integers ``lo..hi`` except ``excluded``; ``render`` writes a value as the output text."""

    def __init__(
        self,
        lo: int,
        hi: int,
        *,
        excluded: frozenset[int] = frozenset(),
        render: Callable[[int], str] | None = None,
    ):
        self.lo, self.hi, self.excluded, self.render = lo, hi, excluded, render

    @property
    def description(self) -> str:
        without = f" except {sorted(self.excluded)}" if self.excluded else ""
        return f"an integer in {self.lo}..{self.hi}{without}"

    def key(self) -> Hashable:
        return ("ints", self.lo, self.hi, self.excluded)

    def _first(self) -> int | None:
        return next((k for k in range(self.lo, self.hi + 1) if k not in self.excluded), None)

    def witness(self) -> Sample | None:
        first = self._first()
        if first is None:
            return None
        return Sample(first, self.render(first) if self.render else None)

    def refine(self, path: tuple[str, ...], keys: Sequence[Any]) -> list[Split]:
        if path:  # an int has no fields: the branch always takes ``otherwise``
            return [Split(None, self, True)]
        splits: list[Split] = []
        taken: set[int] = set()
        for i, key in enumerate(keys):
            if (
                isinstance(key, int)
                and not isinstance(key, bool)
                and self.lo <= key <= self.hi
                and key not in self.excluded
                and key not in taken
            ):
                taken.add(key)
                splits.append(
                    Split(i, Finite([Sample(key, self.render(key) if self.render else None)]), True)
                )
        rest = IntRange(self.lo, self.hi, excluded=self.excluded | taken, render=self.render)
        if rest._first() is not None:
            splits.append(Split(None, rest, True))
        return splits


@dataclass(frozen=True)
class AnyValue(Domain):
    """Values the verifier cannot enumerate: ``kind`` says what they are, ``reason`` why."""

    kind: str
    reason: str
    example: Sample | None = None

    @property
    def description(self) -> str:
        return f"{self.kind} ({self.reason})"

    def key(self) -> Hashable:
        return ("any", self.kind, self.reason, None if self.example is None else _sample_key(self.example))

    def witness(self) -> Sample | None:
        return self.example

    def refine(self, path: tuple[str, ...], keys: Sequence[Any]) -> list[Split]:
        return _every_way(self, keys, f"the value is {self.kind}: {self.reason}")


def _sample_key(sample: Sample) -> Hashable:
    return (sample.text, type(sample.value).__qualname__, repr(sample.value))


def _every_way(domain: Domain, keys: Sequence[Any], why: str) -> list[Split]:
    ways: list[int | None] = [*range(len(keys)), None]
    return [Split(case, domain, False, why) for case in ways]


@dataclass(frozen=True)
class Abstraction:
    """What the verifier knows about a model step's check."""

    check: Check
    domain: Domain
    #: A regular superset of the texts the check accepts, or None when none is known.
    language: Automaton | None
    language_note: str
    notes: tuple[str, ...] = field(default=())


def abstract_check(
    check: Check,
    *,
    output: Literal["value", "text"] = "value",
    examples: Sequence[str] = (),
    limit: int = LIMIT,
) -> Abstraction:
    """The abstraction of a model step with ``check``: its domain over values (or over accepted texts with
    ``output="text"``) and a regular superset of its texts. ``examples`` are accepted outputs used when no
    example can be derived; an example the check rejects is an error."""
    abstraction = _abstract(check, limit)
    known: list[Sample] = []
    for text in examples:
        verdict = check.check(text)
        if not verdict.ok:
            raise ConfigurationError(
                f"the example output {clip(text, 60)!r} is rejected by its own check {check.name}: "
                f"{verdict.feedback()} Fix or remove the example."
            )
        known.append(Sample(verdict.value, text))
    domain = abstraction.domain
    if output == "text":
        domain = _texts(check, abstraction, limit)
        known = [Sample(s.text, s.text) for s in known]
    if known and isinstance(domain, AnyValue):
        domain = AnyValue(domain.kind, domain.reason, known[0])
    return Abstraction(check, domain, abstraction.language, abstraction.language_note, abstraction.notes)


def _texts(check: Check, abstraction: Abstraction, limit: int) -> Domain:
    """The domain of the accepted texts themselves."""
    language = abstraction.language
    if language is not None:
        texts = finite_texts(automaton_fsm(language), limit)
        if texts is not None:
            return Finite([Sample(t, t) for t in texts if check.check(t).ok])
    w = abstraction.domain.witness()
    example = Sample(w.text, w.text) if w is not None and w.text is not None else None
    why = "its texts are not a finite regular language" if language is None else "it has too many texts"
    return AnyValue(f"any text accepted by {check.name}", why, example)


def _abstract(check: Check, limit: int) -> Abstraction:
    if isinstance(check, Pipeline):
        return _pipeline(check, limit)
    if isinstance(check, Automaton):
        return _automaton(check, limit)
    if isinstance(check, Grammar):
        return _grammar(check, limit)
    if isinstance(check, Schema):
        from .json_shapes import schema_domain

        return Abstraction(
            check, schema_domain(check, limit), None, "pydantic schemas are not regular languages"
        )
    if isinstance(check, Predicate | Converter):
        reason = f"{check.name} is a Python function, so its language cannot be enumerated"
        return Abstraction(check, AnyValue("unknown", reason), None, reason)
    if isinstance(check, ToolCalls):
        reason = "tool-call arguments are arbitrary JSON"
        return Abstraction(check, AnyValue("tool calls", reason), None, reason)
    reason = f"{type(check).__name__} is a check the verifier has no abstraction for"
    return Abstraction(check, AnyValue("unknown", reason), None, reason)


def _automaton(check: Automaton, limit: int) -> Abstraction:
    texts = finite_texts(automaton_fsm(check), limit)
    if texts is not None:
        samples = [Sample(t, t) for t in texts if check.check(t).ok]
        return Abstraction(check, Finite(samples), check, "the automaton itself")
    example = check.example()
    sample = Sample(example, example) if example is not None and check.check(example).ok else None
    domain = AnyValue(f"any text matching {check.name}", f"its language has more than {limit} texts", sample)
    return Abstraction(check, domain, check, "the automaton itself")


def _grammar(check: Grammar, limit: int) -> Abstraction:
    from .lark_language import grammar_facts

    facts = grammar_facts(check, limit)
    language, note = facts.language, facts.language_note
    if check.extract is not None:
        language, note = None, "extraction finds the answer anywhere in a reply, so any text may pass"
    if facts.values is not None:
        domain: Domain = Finite([Sample(v, t) for v, t in facts.values])
    else:
        example = None
        if facts.shortest is not None:
            verdict = check.check(facts.shortest)
            example = Sample(verdict.value, facts.shortest) if verdict.ok else None
        kind = "any tree" if check.transformer is None else f"any {check.grammar_name} value"
        domain = AnyValue(kind, f"grammar {check.grammar_name}: {facts.values_note}", example)
    return Abstraction(check, domain, language, note)


def _pipeline(check: Pipeline, limit: int) -> Abstraction:
    first = _abstract(check.checks[0], limit)
    domain = first.domain
    for later in check.checks[1:]:
        domain = _then(domain, later)
    last = check.checks[-1]
    if isinstance(domain, AnyValue) and isinstance(last, Schema):
        # ``json >> Schema(...)``: the schema alone decides which values come out; take its domain when its
        # example texts pass the whole pipeline unchanged.
        domain = _schema_through(check, last, limit) or domain
    # Later checks only filter or convert values: the first check's texts are still a superset.
    return Abstraction(check, domain, first.language, first.language_note)


def _schema_through(pipeline: Pipeline, schema: Schema, limit: int) -> Domain | None:
    from .json_shapes import schema_domain

    domain = schema_domain(schema, limit)
    if isinstance(domain, Finite):
        examples: tuple[Sample | None, ...] = domain.members
    elif isinstance(domain, AnyValue):
        examples = (domain.witness(),)
    else:
        return None
    for sample in examples:
        if sample is None or sample.text is None:
            return None
        verdict = pipeline.check(sample.text)
        if not verdict.ok or not _same_value(verdict.value, sample.value):
            return None
    return domain


def _same_value(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def _then(domain: Domain, later: Check) -> Domain:
    """The domain after ``later`` judges each value of ``domain``."""
    samples = domain.samples()
    if samples is not None:
        kept = []
        for s in samples:
            verdict = later.check(s.value)
            if verdict.ok:
                kept.append(Sample(verdict.value, s.text))
        return Finite(kept)
    w = domain.witness()
    example = None
    if w is not None:
        verdict = later.check(w.value)
        example = Sample(verdict.value, w.text) if verdict.ok else None
    reason = f"{later.name} judges values that cannot all be enumerated ({domain.description})"
    return AnyValue(f"values accepted by {later.name}", reason, example)


def domain_of_type(annotation: Any, limit: int = LIMIT) -> Domain:
    """The domain of a Python type (a tool's return type, a chain input)."""
    from .json_shapes import type_domain

    return type_domain(annotation, limit)
