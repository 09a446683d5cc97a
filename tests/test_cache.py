from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import textwrap
from pathlib import Path

from guardrail.models import Cached, CompletionCache, Request, ScriptedModel


def test_cached_rerun_makes_zero_model_calls(tmp_path: Path) -> None:
    db = tmp_path / "cache.sqlite"
    requests = [Request(prompt=f"Q{i}:", max_tokens=8) for i in range(5)]

    first_inner = ScriptedModel(lambda r: f"answer to {r.prompt}")
    first = Cached(first_inner, db)
    answers = [first.complete(r).text for r in requests]
    assert first_inner.meter.summary().calls == 5
    assert first.stats().misses == 5 and first.stats().hits == 0

    second_inner = ScriptedModel(lambda r: "SHOULD NOT BE CALLED")
    second = Cached(second_inner, db)  # a fresh object: the hits come from the SQLite file
    again = [second.complete(r) for r in requests]
    assert [c.text for c in again] == answers
    assert all(c.cached for c in again)
    assert second_inner.meter.summary().calls == 0
    assert second.stats().hits == 5 and second.stats().misses == 0
    assert second.meter.summary().model_calls == 0


def test_sample_index_and_temperature_are_separate_entries(tmp_path: Path) -> None:
    inner = ScriptedModel(lambda r: f"t={r.temperature} s={r.sample}")
    model = Cached(inner, tmp_path / "c.sqlite")
    outs = {model.complete(Request(prompt="p", temperature=0.8, sample=i)).text for i in range(3)}
    outs.add(model.complete(Request(prompt="p", temperature=0.0)).text)
    assert len(outs) == 4
    assert len(model.cache) == 4


async def test_concurrent_identical_requests_share_one_call(tmp_path: Path) -> None:
    inner = ScriptedModel(lambda r: "same", delay_s=0.05)
    model = Cached(inner, tmp_path / "c.sqlite")
    results = await asyncio.gather(*(model.acomplete("twin") for _ in range(6)))
    assert {r.text for r in results} == {"same"}
    assert inner.meter.summary().calls == 1


async def test_failed_and_aborted_calls_are_not_cached(tmp_path: Path) -> None:
    calls = 0

    def flaky(r: Request) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("backend broke")
        return "0123456789" * 5

    model = Cached(ScriptedModel(flaky, chunk=5), tmp_path / "c.sqlite")
    with contextlib.suppress(RuntimeError):
        await model.acomplete("q")
    assert len(model.cache) == 0

    stream = model.astream("q")
    async for _ in stream:
        break
    await stream.aclose()
    assert stream.completion is not None and stream.completion.finish_reason == "aborted"
    assert len(model.cache) == 0

    full = await model.astream("q").collect()
    assert full.text == "0123456789" * 5 and len(model.cache) == 1
    hit = await model.astream("q").collect()
    assert hit.cached and hit.text == full.text


def test_cache_is_shared_across_processes(tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite"
    script = textwrap.dedent(
        f"""
        import sys
        from guardrail.models import Cached, ScriptedModel, Request
        worker = sys.argv[1]
        model = Cached(ScriptedModel(lambda r: "from " + worker), {str(db)!r})
        for i in range(40):
            model.complete(Request(prompt=f"q{{i}}"))
        print(model.stats().hits, model.stats().misses)
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(n)], stdout=subprocess.PIPE, text=True)
        for n in range(3)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    cache = CompletionCache(db)
    assert len(cache) == 40  # every key stored exactly once, no corruption
    totals = [tuple(map(int, o.split())) for o in outputs]
    assert all(h + m == 40 for h, m in totals)
