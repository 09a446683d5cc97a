"""Abstract domains: the sets of values a chain's step can bind, as far as the verifier knows.

* ``Finite`` — finitely many values, each with a text the step's check accepts and turns into it. A JSON
  object whose fields are finite is finite too; its other fields are *opaque* (one example value stands
  for all);
* ``IntRange`` — an integer between bounds, split exactly by branches;
* ``AnyValue`` — infinitely many or unknown values ("any tree", "any text", "any JSON object"), with the
  reason they cannot be enumerated and, when one is known, an example.

Branching on a ``Finite`` or ``IntRange`` value splits it exactly (``Domain.refine``, with the branch
semantics of ``control``); on an ``AnyValue`` (or an opaque field) every case stays possible, and the
verifier marks that path as over-approximated.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._text import show_value
from .control import choose_case, value_at

__all__ = ["LIMIT", "AnyValue", "Domain", "Finite", "IntRange", "Sample", "Split"]

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
        shown = ", ".join(show_value(s.value, 30) for s in self._samples[:6])
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
