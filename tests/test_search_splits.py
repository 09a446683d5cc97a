"""Seeded, hashed, stratified splits with a sealed, recorded test split."""

from __future__ import annotations

from collections import Counter

import pytest

from guardrail.errors import ConfigurationError
from guardrail.search import SplitSpec, make_splits
from guardrail.search.splits import TestRead
from guardrail.suites import Case


def cases(n: int, positive_every: int = 4) -> list[Case]:
    return [Case(f"id{i}", {"x": i}, "pos" if i % positive_every == 0 else "neg") for i in range(n)]


def test_splits_partition_the_cases() -> None:
    data = cases(200)
    splits = make_splits(data, SplitSpec(train=0.2, validation=0.4, test=0.4, seed=1))
    test = splits.read_test("checking the partition")
    ids = [c.id for c in (*splits.train, *splits.validation, *test)]
    assert sorted(ids) == sorted(c.id for c in data)
    assert splits.sizes() == {"train": 40, "validation": 80, "test": 80}


def test_every_split_is_stratified() -> None:
    splits = make_splits(cases(400), SplitSpec(seed=0))
    for part in (splits.train, splits.validation, splits.read_test("stratification")):
        share = Counter(c.label for c in part)["pos"] / len(part)
        assert share == pytest.approx(0.25, abs=0.01)


def test_validation_prefixes_are_stratified_too() -> None:
    splits = make_splits(cases(400), SplitSpec(seed=0))
    for n in (8, 16, 32):
        assert Counter(c.label for c in splits.validation[:n])["pos"] == n // 4


def test_splits_depend_on_seed_and_ids_not_on_order() -> None:
    data = cases(100)
    a = make_splits(data, SplitSpec(seed=5))
    b = make_splits(list(reversed(data)), SplitSpec(seed=5))
    c = make_splits(data, SplitSpec(seed=6))
    assert [x.id for x in a.validation] == [x.id for x in b.validation]
    assert {x.id for x in a.validation} != {x.id for x in c.validation}


def test_caps_and_a_separate_train_file() -> None:
    train_file = [Case(f"t{i}", {"x": i}, "pos" if i % 2 else "neg") for i in range(30)]
    splits = make_splits(
        cases(100),
        SplitSpec(validation=0.5, test=0.5, validation_max=20, test_max=10),
        train_cases=train_file,
    )
    assert splits.sizes() == {"train": 30, "validation": 20, "test": 10}
    assert {c.id for c in splits.train} == {c.id for c in train_file}


def test_test_reads_are_recorded() -> None:
    recorded: list[TestRead] = []
    splits = make_splits(cases(50), SplitSpec())
    splits.read_test("final check", ["abc"], record=recorded.append)
    assert (
        len(splits.reads) == 1 and recorded[0].candidates == ("abc",) and recorded[0].reason == "final check"
    )


def test_degenerate_splits_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        SplitSpec(validation=0)
    with pytest.raises(ConfigurationError, match="larger suite"):
        make_splits(cases(1), SplitSpec())
