"""The wheel carries the shipped grammars and prompts, and an installed package finds them there."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("guardrail-*.whl"))


def test_wheel_contains_grammars_prompts_and_plugin(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        p.relative_to(ROOT).as_posix()
        for d in ("grammars", "prompts")
        for p in (ROOT / d).rglob("*")
        if p.is_file()
    }
    assert shipped, "nothing to ship?"
    for rel in shipped:
        assert f"guardrail/{rel}" in names
    assert "guardrail/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "guardrail = guardrail.pytest_plugin" in text and "guardrail = guardrail.cli:app" in text


def test_installed_package_finds_its_grammars(wheel: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = (
        "import guardrail, guardrail.resources as r; "
        "print(guardrail.__file__); print(r.grammar_path('json')); print(r.prompts_dir())"
    )
    env = dict(os.environ, PYTHONPATH=str(unpacked))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    module, grammar, prompts = out.splitlines()
    assert module.startswith(str(unpacked))  # the unpacked wheel, not the checkout
    assert grammar == str(unpacked / "guardrail" / "grammars" / "json.lark")
    assert prompts == str(unpacked / "guardrail" / "prompts")
