"""Faults injected between ``OpenAIModel`` and a real llama.cpp server lose nothing and count nothing twice.

A ``FaultProxy`` (tests/fault_proxy.py) on 127.0.0.1 fails about one request in five: 429 with Retry-After,
500, connection resets, stalls past the client's timeout, malformed JSON, answers cut off mid-body and, for
streams, streams that end early without their final event. A study and a streaming Guard run through it
must end with exactly the results of a clean run against the same server, with every extra request
counted as a retry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from guardrail.checks import Grammar
from guardrail.guard import Guard, GuardResult
from guardrail.models.openai_model import OpenAIModel, RetryPolicy
from guardrail.search.study import Study, StudyResult

from .conftest import local_model_available
from .fault_proxy import KINDS, STREAM_ONLY, FaultProxy, fault_proxy
from .llama_server import llama_server

pytestmark = [pytest.mark.server, pytest.mark.local_model]

ALIAS = "gemma-3-270m"
FAST_RETRIES = RetryPolicy(max_retries=6, base_delay_s=0.05, max_delay_s=0.5)


def timeout_for(slowest_s: float) -> float:
    """The client timeout of a faulty run: well above the slowest call of the clean run just made (the
    machine may be busy), so that only the proxy's stalls (one second longer) run into it."""
    return min(20.0, max(2.0, 3 * slowest_s))


CAPITALS = [
    ("France", "Paris"),
    ("Italy", "Rome"),
    ("Spain", "Madrid"),
    ("Germany", "Berlin"),
    ("Japan", "Tokyo"),
    ("Egypt", "Cairo"),
    ("Canada", "Ottawa"),
    ("Peru", "Lima"),
    ("Norway", "Oslo"),
    ("Kenya", "Nairobi"),
    ("Greece", "Athens"),
    ("Chile", "Santiago"),
]
TEMPLATE = (
    "{% for ex in examples %}Q: What is the capital of {{ ex.country }}?\nA: {{ ex.answer }}\n\n{% endfor %}"
    "Q: What is the capital of {{ country }}?\nA:"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not local_model_available():
        pytest.skip("needs the 'server' extra")
    pytest.importorskip("llama_cpp.server")
    with llama_server(tmp_path_factory.mktemp("llama"), alias=ALIAS) as root:
        yield root


def write_study(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "capitals.jsonl").open("w") as f:
        for i, (country, capital) in enumerate(CAPITALS):
            f.write(json.dumps({"id": f"c{i:02d}", "country": country, "expected": capital}) + "\n")
    study = {
        "name": "capitals-faults",
        "suite": {"path": "capitals.jsonl", "format": "jsonl", "scorer": {"kind": "normalized"}},
        "space": {
            "name": "capitals",
            "request": {"max_tokens": 4, "stop": ["\n"], "temperature": 0.0},
            "fixed": {"template": {"source": TEMPLATE}, "selection": "first"},
            "dimensions": {"k": [0, 2]},
        },
        "splits": {"train": 0.25, "validation": 0.5, "test": 0.25, "seed": 0, "stratify": False},
        "strategy": {"kind": "grid"},
        "model": f"http://127.0.0.1/v1#{ALIAS}",  # replaced by the factory: the study never resolves it
        "concurrency": 2,
        "cache": False,
        "output": "out",
    }
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


def run_study(folder: Path, base_url: str, timeout_s: float = 60.0) -> tuple[StudyResult, OpenAIModel]:
    model = OpenAIModel(ALIAS, base_url=base_url, timeout_s=timeout_s, retry=FAST_RETRIES)
    study = Study.from_yaml(write_study(folder), model_factory=lambda spec: model)
    return study.run(), model


def cells(result: StudyResult) -> dict[tuple[str, str, str], tuple[str, bool]]:
    """Every stored outcome: (candidate, case, split) -> (what the model said, whether it was right)."""
    rows = [json.loads(line) for line in (result.folder / "results.jsonl").read_text().splitlines()]
    keyed = {(r["candidate"], r["case_id"], r["split"]): (r["output"], r["correct"]) for r in rows}
    assert len(keyed) == len(rows), "an outcome was stored twice"
    return keyed


def test_a_study_through_injected_faults_ends_with_the_clean_results(server: str, tmp_path: Path) -> None:
    clean, clean_model = run_study(tmp_path / "clean", f"{server}/v1")
    rows = [json.loads(line) for line in (clean.folder / "results.jsonl").read_text().splitlines()]
    timeout = timeout_for(max(r["latency_s"] for r in rows))
    # Seed 11 fails 6 of the study's 21 requests (retries included), one of each kind a plain call meets.
    with fault_proxy(server, rate=0.2, seed=11, stall_s=timeout + 1, model=ALIAS) as proxy:
        faulty, model = run_study(tmp_path / "faulty", f"{proxy.url}/v1", timeout)
    expected = cells(clean)
    assert len(expected) == 2 * 6 + 3  # two candidates on 6 validation cases, the winner on 3 test cases
    assert cells(faulty) == expected  # same outputs, same scores: nothing lost, nothing doubled
    assert faulty.winner.id == clean.winner.id and faulty.summary()["test"] == clean.summary()["test"]
    assert model.meter.summary().calls == clean_model.meter.summary().calls == len(expected)
    # Every request beyond one per call was a retry, and each was counted.
    assert len(proxy.log) == len(expected) + model.retries
    injected = proxy.faults()
    assert set(injected) == set(KINDS) - STREAM_ONLY, injected  # every kind a plain call can meet
    assert model.retries >= sum(injected.values())
    _record(proxy, "study", len(expected), model.retries)


PROMPTS = [
    "Count: one, two, three,",
    "Colours: red, green, blue,",
    "Animals: cat, dog, horse,",
    "Fruits: apple, pear, plum,",
    "Days: Monday, Tuesday,",
    "Numbers: 1, 2, 3,",
]
#: Lowercase words, each after a space and before a comma: the days and digits are rejected early (the
#: stream is cut at the first character no continuation can fix) and repaired.
WORDS = Grammar('start: item+\nitem: " " WORD ","\nWORD: /[a-z]+/\n')


def run_guards(base_url: str, timeout_s: float = 60.0) -> tuple[list[GuardResult], OpenAIModel]:
    model = OpenAIModel(ALIAS, base_url=base_url, timeout_s=timeout_s, retry=FAST_RETRIES)
    results = []
    for prompt in PROMPTS:
        guard = Guard(model, prompt, WORDS, max_tokens=12, temperature=0.0, stream=True)
        results.append(guard.run())
    return results, model


def attempts(results: list[GuardResult]) -> list[list[tuple[str, bool, int | None]]]:
    return [[(a.output, a.verdict.ok, a.aborted_at) for a in r.attempts] for r in results]


def test_a_streaming_guard_through_injected_faults_ends_with_the_clean_results(server: str) -> None:
    clean, clean_model = run_guards(f"{server}/v1")
    # A stream's read timeout is between tokens; the slowest whole attempt bounds that generously.
    timeout = timeout_for(max(a.seconds for r in clean for a in r.attempts))
    # The kinds that matter most for streams come first in the round-robin deal.
    kinds = ("cut", "truncated", "stall", "malformed", "reset", "429", "500")
    # Seed 14 at 30% fails 6 of the 16 requests, each kind once; the stream faults all reach the client.
    with fault_proxy(
        server, rate=0.3, seed=14, kinds=kinds, stall_s=timeout + 1, cut_after_events=2, model=ALIAS
    ) as proxy:
        faulty, model = run_guards(f"{proxy.url}/v1", timeout)
    assert attempts(faulty) == attempts(clean)
    assert [r.ok for r in faulty] == [r.ok for r in clean]
    assert any(a.aborted_at is not None for r in clean for a in r.attempts)  # streams were cut by viable()
    calls = clean_model.meter.summary().calls
    assert model.meter.summary().calls == calls == sum(len(r.attempts) for r in clean)
    assert model.meter.summary().completion_tokens == clean_model.meter.summary().completion_tokens
    assert len(proxy.log) == calls + model.retries
    injected = proxy.faults()
    assert {"cut", "truncated", "stall", "malformed"} <= set(injected), injected
    assert model.retries >= sum(injected.values())  # each fault that reached the client cost a retry
    _record(proxy, "guard", calls, model.retries)


def _record(proxy: FaultProxy, what: str, calls: int, retries: int) -> None:
    """Leave the figures where the reliability benchmark collects them (one JSON line per run)."""
    line: dict[str, Any] = {
        "run": what,
        "calls": calls,
        "requests": len(proxy.log),
        "faults": dict(proxy.faults()),
        "retries": retries,
        "rate": proxy.rate,
        "faulted_share": round(sum(proxy.faults().values()) / len(proxy.log), 3),
    }
    print(json.dumps(line))
