"""Seeded, hashed, stratified train / validation / test splits.

Within each stratum (a case's expected label) cases are ordered by the hash of (seed, case id) and cut in
the requested proportions, so the assignment depends on the seed and the case ids, not on file order. The
validation and test lists are ordered so that every prefix is stratified too: racing evaluates prefixes.

The test split is sealed: ``read_test`` is the only way to it, and every read is recorded with its reason.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError
from ..suites.case import Case


@dataclass(frozen=True)
class SplitSpec:
    """Fractions (normalized to sum 1) and optional caps on each split's size."""

    train: float = 0.2
    validation: float = 0.4
    test: float = 0.4
    seed: int = 0
    stratify: bool = True
    train_max: int | None = None
    validation_max: int | None = None
    test_max: int | None = None

    def __post_init__(self) -> None:
        if min(self.train, self.validation, self.test) < 0 or self.validation <= 0 or self.test <= 0:
            raise ConfigurationError(
                "split fractions must be >= 0, with validation and test > 0; "
                f"got train={self.train}, validation={self.validation}, test={self.test}"
            )


@dataclass(frozen=True)
class TestRead:
    """One read of the test split: when, why, for which candidates, how many cases."""

    __test__ = False  # not a pytest test class, whatever its name

    at: float
    reason: str
    candidates: tuple[str, ...]
    n: int


@dataclass
class Splits:
    train: tuple[Case, ...]
    validation: tuple[Case, ...]
    _test: tuple[Case, ...] = field(repr=False)
    seed: int = 0
    reads: list[TestRead] = field(default_factory=list)

    @property
    def test_size(self) -> int:
        return len(self._test)

    def read_test(
        self, reason: str, candidates: Sequence[str] = (), record: Callable[[TestRead], Any] | None = None
    ) -> tuple[Case, ...]:
        """The test cases; the read is recorded here and handed to ``record`` (a study's store)."""
        read = TestRead(time.time(), reason, tuple(candidates), len(self._test))
        self.reads.append(read)
        if record is not None:
            record(read)
        return self._test

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self._test)}


def _hash(seed: int, case_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}\x00{case_id}".encode()).digest()[:8], "big")


def _strata(cases: Sequence[Case], seed: int, stratify: bool) -> list[list[Case]]:
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(case.label if stratify else "", []).append(case)
    return [sorted(groups[k], key=lambda c: _hash(seed, c.id)) for k in sorted(groups)]


def _interleave(groups: Sequence[Sequence[Case]], seed: int) -> list[Case]:
    """Merge strata so every prefix holds each stratum in proportion."""
    keyed = [((i + 0.5) / len(g), _hash(seed + 1, c.id), c) for g in groups for i, c in enumerate(g)]
    return [c for *_, c in sorted(keyed, key=lambda t: (t[0], t[1]))]


def _cut(n: int, fractions: Sequence[float]) -> list[int]:
    """Split n into integer parts proportional to fractions (largest remainder)."""
    total = sum(fractions)
    raw = [n * f / total for f in fractions]
    parts = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: n - sum(parts)]:
        parts[i] += 1
    return parts


def _cap(cases: list[Case], cap: int | None) -> tuple[Case, ...]:
    return tuple(cases if cap is None else cases[:cap])


def make_splits(
    suite_cases: Sequence[Case], spec: SplitSpec, train_cases: Sequence[Case] | None = None
) -> Splits:
    """Split ``suite_cases``; with ``train_cases`` (a separate train file) only validation and test are cut
    from the suite."""
    fractions = (
        [spec.validation, spec.test] if train_cases is not None else [spec.train, spec.validation, spec.test]
    )
    buckets: list[list[list[Case]]] = [[] for _ in fractions]
    for group in _strata(suite_cases, spec.seed, spec.stratify):
        start = 0
        for b, size in enumerate(_cut(len(group), fractions)):
            buckets[b].append(group[start : start + size])
            start += size
    merged = [_interleave(b, spec.seed) for b in buckets]
    if train_cases is not None:
        train = _interleave(_strata(train_cases, spec.seed, spec.stratify), spec.seed)
        validation, test = merged
    else:
        train, validation, test = merged
    splits = Splits(
        _cap(train, spec.train_max),
        _cap(validation, spec.validation_max),
        _cap(test, spec.test_max),
        seed=spec.seed,
    )
    if not splits.validation or not splits.test_size:
        raise ConfigurationError(
            f"the splits leave {len(splits.validation)} validation and {splits.test_size} test cases from "
            f"{len(suite_cases)}; use a larger suite or larger validation/test fractions"
        )
    return splits
