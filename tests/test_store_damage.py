"""A damaged cache or study store, or a full disk, gives a clear error naming the file, never a silently wrong
result (issue 16, faults): garbage bytes, a truncated file, damage inside the file, a damaged row, and a
file-size limit reached in the middle of a study (``RLIMIT_FSIZE`` in a subprocess, as a full disk)."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from guardrail.cli import app
from guardrail.errors import StoreError
from guardrail.models import Cached, Completion, Request
from guardrail.models.cache import CompletionCache
from guardrail.models.scripted import ScriptedModel
from guardrail.search.store import StudyStore
from guardrail.search.study import Study

COUNTRIES = [("France", "Paris"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Japan", "Tokyo")] * 5


def answer(request: Request) -> str:
    prompt = request.prompt or ""
    country = prompt.rsplit("capital of ", 1)[-1].split("?")[0]
    return " " + dict(COUNTRIES).get(country, "Lyon") if "Be brief." in prompt else " Lyon"


def write_study(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "capitals.jsonl").open("w") as f:
        for i, (country, capital) in enumerate(COUNTRIES):
            f.write(json.dumps({"id": f"c{i:02d}", "country": country, "expected": capital}) + "\n")
    study = {
        "name": "capitals-store",
        "suite": {"path": "capitals.jsonl", "scorer": {"kind": "normalized"}},
        "space": {
            "name": "s",
            "request": {"max_tokens": 3},
            "fixed": {"template": {"source": "{{ style }}\nQ: What is the capital of {{ country }}?\nA:"}},
            "dimensions": {"style": {"terse": "Be brief." + " padding" * 40, "other": "Answer." + " x" * 40}},
        },
        "splits": {"train": 0.0, "validation": 0.7, "test": 0.3, "seed": 0, "stratify": False},
        "strategy": {"kind": "grid"},
        "model": "scripted",
        "concurrency": 1,
        "cache": False,
        "output": "out",
    }
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


def run_study(folder: Path) -> dict[str, Any]:
    study = Study.from_yaml(write_study(folder), model_factory=lambda spec: ScriptedModel(answer))
    study.run()
    return {
        (r["candidate"], r["case_id"]): (r["output"], r["correct"])
        for r in map(json.loads, (folder / "out" / "results.jsonl").read_text().splitlines())
    }


def filled_cache(path: Path, n: int = 400) -> list[Request]:
    cache = CompletionCache(path)
    requests = [Request(prompt=f"question {i} " + "context " * 20, max_tokens=4) for i in range(n)]
    for i, r in enumerate(requests):
        cache.put(r.key("m"), r, Completion(text=f" answer {i}", finish_reason="stop", model_id="m"))
    cache.close()
    return requests


@pytest.mark.parametrize("damage", ["garbage", "truncated", "middle"])
def test_a_damaged_cache_is_refused_with_its_name(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "cache.sqlite"
    filled_cache(path)
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(random.Random(0).randbytes(len(data)))
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:  # a run of garbage over the pages in the middle of the file
        middle = len(data) // 2
        path.write_bytes(data[:middle] + random.Random(1).randbytes(8192) + data[middle + 8192 :])
    with pytest.raises(StoreError) as info:
        Cached(ScriptedModel(answer), path)
    assert info.value.path == str(path) and str(path) in str(info.value)
    assert "move it aside" in str(info.value)


def test_a_damaged_cached_answer_is_never_served(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    requests = filled_cache(path, 5)
    # SQLite keeps no checksums: change one answer's text in place, leaving the file's structure intact.
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE completions SET completion = replace(completion, 'answer 3', 'answer 8') WHERE key = ?",
            (requests[3].key("m"),),
        )
    cache = CompletionCache(path)
    assert cache.get(requests[2].key("m")) is not None  # the others are fine
    with pytest.raises(StoreError, match="damaged"):
        cache.get(requests[3].key("m"))


def test_a_truncated_study_store_is_named_by_the_command_line(tmp_path: Path) -> None:
    clean = run_study(tmp_path / "clean")
    store = tmp_path / "clean" / "out" / "results.sqlite"
    data = store.read_bytes()
    store.write_bytes(data[: len(data) // 3])
    for wal in store.parent.glob("results.sqlite-*"):
        wal.unlink()
    with pytest.raises(StoreError) as info:
        run_study(tmp_path / "clean")
    assert info.value.path == str(store)
    result = CliRunner().invoke(app, ["search", str(tmp_path / "clean" / "study.yaml"), "--no-report"])
    assert result.exit_code == 1 and "results.sqlite" in result.output and "truncated" in result.output
    # Moved aside, as the message says, the study runs again to the same results.
    store.rename(store.with_suffix(".damaged"))
    assert run_study(tmp_path / "clean") == clean


def test_garbage_instead_of_a_study_store(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "results.sqlite").write_bytes(b"this is not a database at all " * 100)
    with pytest.raises(StoreError, match="not a database"):
        StudyStore(folder / "results.sqlite")


FULL_DISK_RUN = """
import json, resource, signal, sys
from pathlib import Path
sys.path[:0] = {paths!r}
from guardrail.errors import GuardrailError
from tests.test_store_damage import run_study
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the process; we want the error
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
try:
    run_study(Path({folder!r}))
except GuardrailError as exc:
    print(json.dumps(exc.to_dict()))
    sys.exit(3)
"""


def test_a_full_disk_stops_the_study_with_the_file_named_and_the_rerun_finishes(tmp_path: Path) -> None:
    clean = run_study(tmp_path / "clean")
    folder = tmp_path / "full"
    # No file may grow past 160 KiB: the store's write-ahead log (a few KiB a call) outgrows that half-way.
    code = FULL_DISK_RUN.format(paths=sys.path, limit=160 * 1024, folder=str(folder))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr[-3000:]
    error = json.loads(proc.stdout.strip().splitlines()[-1])
    assert error["error"] == "StoreError" and error["path"].startswith(str(folder / "out"))
    assert "free some space" in error["message"]
    # What was stored before the disk filled is whole, and the rerun completes to the clean results.
    partial = StudyStore(folder / "out" / "results.sqlite")
    kept = partial.all()
    partial.close()
    assert 0 < len(kept) < len(clean)
    assert all(clean[(o.candidate, o.case_id)] == (o.output, o.correct) for o in kept)
    assert run_study(folder) == clean


def test_a_full_disk_while_writing_a_report_file_keeps_the_old_file(tmp_path: Path) -> None:
    from guardrail.store import write_text_file

    target = tmp_path / "summary.json"
    write_text_file(target, "old")
    code = (
        f"import resource, signal, sys; sys.path[:0] = {sys.path!r}\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))\n"
        "from pathlib import Path\nfrom guardrail.store import write_text_file\n"
        "from guardrail.errors import StoreError\n"
        f"try:\n    write_text_file(Path({str(target)!r}), 'x' * 100000)\n"
        "except StoreError as exc:\n    print(exc.path); sys.exit(3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3 and proc.stdout.strip() == str(target), proc.stderr[-2000:]
    assert target.read_text() == "old" and not list(tmp_path.glob(".*.tmp"))
