"""A study killed with SIGKILL resumes and ends with the clean run's results (issue 16, faults).

``guardrail search`` runs as a subprocess against a scripted OpenAI-compatible server on 127.0.0.1 (no
model cache: resuming rests on the study store alone). The server SIGKILLs the process when the study's
N-th request arrives, for several seeded N, including the very last call; each rerun resumes. At the end
the stored outcomes equal those of an uninterrupted run, and the only calls made twice are those that
were in flight at a kill (at most ``concurrency`` per kill).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from .scripted_server import Script, scripted_server

CONCURRENCY = 2
COUNTRIES = [
    ("France", "Paris"),
    ("Italy", "Rome"),
    ("Spain", "Madrid"),
    ("Japan", "Tokyo"),
    ("Egypt", "Cairo"),
    ("Peru", "Lima"),
    ("Norway", "Oslo"),
    ("Kenya", "Nairobi"),
    ("Chile", "Santiago"),
    ("Cuba", "Havana"),
    ("Greece", "Athens"),
    ("Poland", "Warsaw"),
    ("Ireland", "Dublin"),
    ("Austria", "Vienna"),
    ("Canada", "Ottawa"),
    ("Germany", "Berlin"),
]
CAPITAL = dict(COUNTRIES)


def answer(prompt: str) -> str:
    """Right for the 'terse' prompt, right on every other case for 'chatty', wrong for 'vague'."""
    country = re.findall(r"capital of (\w+)\?", prompt)[-1]
    if "Think." in prompt:
        return " I am not sure"
    if "Be brief." in prompt or sum(map(ord, country)) % 2:
        return f" {CAPITAL[country]}"
    return " Lyon"


def write_study(folder: Path, url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "capitals.jsonl").open("w") as f:
        for i, (country, capital) in enumerate(COUNTRIES):
            f.write(json.dumps({"id": f"c{i:02d}", "country": country, "expected": capital}) + "\n")
    study = {
        "name": "capitals-kill",
        "suite": {"path": "capitals.jsonl", "scorer": {"kind": "normalized"}},
        "space": {
            "name": "s",
            "request": {"max_tokens": 3, "stop": ["\n"]},
            "fixed": {"template": {"source": "{{ style }}\nQ: What is the capital of {{ country }}?\nA:"}},
            "dimensions": {"style": {"terse": "Be brief.", "chatty": "Answer.", "vague": "Think."}},
        },
        "splits": {"train": 0.0, "validation": 0.75, "test": 0.25, "seed": 0, "stratify": False},
        "strategy": {"kind": "grid"},
        "model": f"{url}#scripted",
        "concurrency": CONCURRENCY,
        "cache": False,
    }
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


def run(study: Path, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-m", "guardrail", "search", str(study), "--out", str(out), "--json", "--no-report"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def outcomes(folder: Path) -> dict[tuple[str, str, str], dict[str, Any]]:
    rows = [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]
    # (prompt_hash is left out: it covers the model id, which names each run's server port.)
    keep = ("output", "correct", "answer", "scorer", "error")
    table = {(r["candidate"], r["case_id"], r["split"]): {k: r[k] for k in keep} for r in rows}
    assert len(table) == len(rows)
    return table


def test_a_study_killed_at_random_points_resumes_to_the_clean_results(tmp_path: Path) -> None:
    clean_script = Script(answer)
    with scripted_server(clean_script) as url:
        study = write_study(tmp_path / "study", url)
        proc = run(study, tmp_path / "clean")
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
    clean = json.loads(out)
    calls = clean_script.total
    assert calls == 3 * 12 + 4 == len(outcomes(tmp_path / "clean"))

    script = Script(answer)
    rng = random.Random(16)
    points = [*sorted(rng.sample(range(1, calls), 3)), calls]  # three random calls, and the last one
    with scripted_server(script) as url:
        study = write_study(tmp_path / "study", url)  # same study, this server's address
        for point in points:
            proc = run(study, tmp_path / "killed")
            script.kill_at = (point, proc.pid)
            proc.communicate(timeout=120)
            assert proc.returncode == -signal.SIGKILL, f"not killed at request {point}"
        proc = run(study, tmp_path / "killed")
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
    resumed = json.loads(out)

    assert script.killed == points
    assert outcomes(tmp_path / "killed") == outcomes(tmp_path / "clean")
    assert resumed["winner"]["id"] == clean["winner"]["id"]
    assert (resumed["validation"], resumed["test"]) == (clean["validation"], clean["test"])
    # Nothing lost and little repeated: a call is made again only if it was in flight at a kill.
    repeated = script.total - calls
    assert 0 <= repeated <= CONCURRENCY * len(points)
    assert set(script.requests) == set(clean_script.requests)
    assert sum(n - 1 for n in script.requests.values()) == repeated
    print(json.dumps({"kill_points": points, "calls": calls, "repeated": repeated}))
