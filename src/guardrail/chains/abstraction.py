"""The model as a black box: a model step returns *any* text its check accepts, so its value ranges over
the check's language. This module derives that range, the step's abstract *domain* (see ``domains``), from
the check:

* ``Finite`` for a yes/no or A–E grammar, an automaton with a finite language, ``Literal``/enum/bool
  schemas, objects of finite fields;
* ``IntRange`` for a schema ``int`` with ``ge``/``le``;
* ``AnyValue`` for everything else ("any tree", "any text", ...), with the reason.

Each ``Abstraction`` also carries a regular superset of the accepted *texts* when one is known (the
automaton itself, or one built from a non-recursive grammar): it decides "the final output passes check P".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .._text import quoted
from ..checks.automaton import Automaton
from ..checks.base import Check, Pipeline
from ..checks.grammar import Grammar
from ..checks.predicate import Converter, Predicate
from ..checks.schema import Schema, ToolCalls
from ..errors import ConfigurationError

# The domain names are imported here for the code below and for callers of the old paths
# (``guardrail.chains.abstraction.Finite`` and so on); their home is ``domains``.
from .domains import LIMIT, AnyValue, Domain, Finite, IntRange, Sample, Split
from .json_shapes import schema_domain, type_domain
from .languages import automaton_fsm, finite_texts
from .lark_language import grammar_facts

# ``domains``' names are re-exported for the old import paths.
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
    "domain_of_type",
]


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
                f"the example output {quoted(text, 60)} is rejected by its own check {check.name}: "
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
    return type_domain(annotation, limit)
