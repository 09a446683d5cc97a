"""The real embedded model: Gemma 3 270M through llama-cpp-python."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from guardrail.models import Cached, Request

pytestmark = pytest.mark.local_model

FEW_SHOT = (
    "Review: a gorgeous, witty, seductive movie.\nSentiment: great\n\n"
    "Review: the plot is nothing but boilerplate clichés.\nSentiment: terrible\n\n"
    "Review: an utterly charming and hilarious film.\nSentiment:"
)


def test_few_shot_classification(local_model: Any) -> None:
    completion = local_model.complete(Request(prompt=FEW_SHOT, max_tokens=3, stop=("\n",)))
    assert completion.text.strip() in {"great", "terrible"}
    assert completion.usage.prompt_tokens > 20 and completion.usage.completion_tokens >= 1
    assert completion.model_id == "local:gemma-3-270m-q4_k_m"


def test_stream_matches_complete(local_model: Any) -> None:
    request = Request(prompt="The three primary colours are", max_tokens=16)
    whole = local_model.complete(request).text
    deltas = list(local_model.stream(request))
    assert len(deltas) > 1 and "".join(deltas) == whole


async def test_aborting_a_stream_stops_generation(local_model: Any) -> None:
    stream = local_model.astream(Request(prompt="Count: 1, 2, 3,", max_tokens=200))
    async for _ in stream:
        if len(stream.text) > 6:
            break
    await stream.aclose()
    assert stream.completion.finish_reason == "aborted"
    assert stream.completion.usage.completion_tokens < 20
    # The model is free again right away.
    assert (await local_model.acomplete(Request(prompt="Hi", max_tokens=2))).finish_reason in {
        "stop",
        "length",
    }


def test_greedy_output_is_identical_across_processes(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        from guardrail.models.local import LocalModel
        from guardrail.models import Request
        m = LocalModel()
        print(repr(m.complete(Request(prompt="Once upon a time, in a small village,", max_tokens=40)).text))
        """
    )
    outs = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
        for _ in range(2)
    ]
    assert all(o.returncode == 0 for o in outs), [o.stderr[-2000:] for o in outs]
    assert outs[0].stdout == outs[1].stdout
    assert len(outs[0].stdout) > 40


def test_cached_local_model_rerun_makes_no_model_calls(local_model: Any, tmp_path: Path) -> None:
    db = tmp_path / "cache.sqlite"
    requests = [
        Request(prompt=FEW_SHOT.replace("charming", w), max_tokens=3, stop=("\n",)) for w in ("dull", "fun")
    ]
    first = Cached(local_model, db)
    texts = [first.complete(r).text for r in requests]
    before = local_model.meter.summary().calls
    second = Cached(local_model, db)
    assert [second.complete(r).text for r in requests] == texts
    assert local_model.meter.summary().calls == before
    assert second.stats().hits == 2 and second.stats().misses == 0


def test_a_file_that_is_not_gguf_is_a_clear_error(tmp_path: Path) -> None:
    from guardrail.errors import ModelFileError
    from guardrail.models.local import LocalModel

    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match=r"could not load .*bogus.gguf as a GGUF model"):
        LocalModel(bogus).load()


def test_readme_guard_example_rejects_then_repairs(local_model: Any) -> None:
    """The README's Guard example, on the real embedded model: a stream cut off, rejected, then repaired."""
    import runpy

    example = Path(__file__).parents[1] / "examples" / "guard_json.py"
    namespace = runpy.run_path(str(example), run_name="example")
    result = namespace["result"]
    assert result.ok and result.value.name == "Ivan" and result.value.age == 3
    first = result.attempts[0]
    assert not first.verdict.ok and first.aborted_at is not None
    assert first.verdict.errors[0].line == 1 and first.verdict.errors[0].column == first.aborted_at
    assert result.attempts[-1].strategy == "resample"


def test_greedy_answers_do_not_depend_on_earlier_calls(local_model: Any) -> None:
    # Before prompts were evaluated in whole chunks, this 40-token continuation changed after other calls.
    from guardrail.models.local import PROMPT_CHUNK, LocalModel

    story = "Once upon a time, in a small village at the edge of a great forest, there lived"
    request = Request(prompt=story, max_tokens=40)
    fresh = LocalModel(n_threads=1)  # also shows that the thread count does not matter
    try:
        expected = fresh.complete(request).text
    finally:
        fresh.close()
    long_shared_prefix = story + " " + "and the people there were kind and hard-working. " * 12
    earlier = [
        Request(prompt="The capital of France is", max_tokens=5),
        Request(prompt=long_shared_prefix, max_tokens=10),
        Request(prompt=story + expected + "\nWhat happened next?", max_tokens=10),
    ]
    assert local_model._count_prompt_tokens(Request(prompt=long_shared_prefix)) > 2 * PROMPT_CHUNK
    for other in earlier:
        local_model.complete(other)
        assert local_model.complete(request).text == expected, other.prompt[:40]
