"""LocalModel settings that need no weights: the thread count."""

from __future__ import annotations

import os

import pytest

from guardrail.errors import ConfigurationError
from guardrail.models.local import THREADS_ENV, LocalModel


def test_threads_default_to_every_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert LocalModel().n_threads == max(1, os.cpu_count() or 1)


def test_threads_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV, " 1 ")
    assert LocalModel().n_threads == 1
    # An explicit argument wins over the environment.
    assert LocalModel(n_threads=3).n_threads == 3


@pytest.mark.parametrize("raw", ["0", "-2", "two", "1.5"])
def test_bad_thread_counts_are_named(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(THREADS_ENV, raw)
    with pytest.raises(ConfigurationError, match=f"GUARDRAIL_THREADS must be a positive whole number.*{raw}"):
        LocalModel()


def test_bad_thread_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    with pytest.raises(ConfigurationError, match="n_threads must be at least 1, got 0"):
        LocalModel(n_threads=0)
