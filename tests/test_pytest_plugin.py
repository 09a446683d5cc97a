"""The pytest plugin, driven through pytester in subprocesses: live, record and replay against a real HTTP
server on 127.0.0.1 (an OpenAI-compatible stub that adds numbers, badly above 99)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .http_stub import completion_body, stub_server

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

ADDER_TESTS = """
import re
from hypothesis import given, strategies as st
from guardrail.checks.base import Check, ErrorDetail, Verdict
from guardrail.testing import assert_pass_rate, model_settings


class Number(Check):
    name = "number"

    def check(self, value):
        text = value.strip()
        if re.fullmatch(r"-?[0-9]+", text):
            return Verdict.accept(int(text))
        return Verdict.reject(ErrorDetail(self.name, "not a number", "Answer with a number only."))


PROMPT = "{{ a }}+{{ b }}="


def test_small_sums(guard):
    adder = guard(PROMPT, Number(), max_tokens=4)
    cases = [(a, b) for a in range(0, 50, 10) for b in range(3)]
    assert_pass_rate(lambda c: adder.run(a=c[0], b=c[1]).value == c[0] + c[1], cases, threshold=0.6)


def test_weak_prompt(guard):
    adder = guard("{{ a }} {{ b }}", Number(), max_tokens=4)
    cases = [(a, b) for a in range(10) for b in range(2)]
    assert_pass_rate(lambda c: adder.run(a=c[0], b=c[1]).value == c[0] + c[1], cases, threshold=0.8)
"""

HYPOTHESIS_TEST = """
from hypothesis import given, strategies as st
from guardrail.testing import model_settings
from test_adder import Number, PROMPT


@model_settings
@given(a=st.integers(0, 99), b=st.integers(0, 99))
def test_adds_everything(guard, a, b):
    result = guard(PROMPT, Number(), max_tokens=4).run(a=a, b=b)
    assert result.value == a + b
"""


def adder(body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Right on "a+b=" while the sum is below 100 (then it drops the last digit); wrong without the '+'."""
    prompt = body.get("prompt", "")
    m = re.fullmatch(r"(?:\(Note:.*\)\n)?(\d+)\+(\d+)=", prompt, flags=re.S)
    if m:
        total = int(m.group(1)) + int(m.group(2))
        text = str(total) if total < 100 else str(total)[:-1]
    else:
        nums = [int(x) for x in re.findall(r"\d+", prompt)]
        text = str(nums[0] * 2 if nums else 0)  # the weak prompt gets a wrong "sum" unless b == a
    return 200, {}, completion_body(" " + text)


def _setup(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_adder=ADDER_TESTS)
    pytester.makeini("[pytest]\nguardrail_cassette_dir = cassettes\n")


def test_record_then_replay_with_the_server_gone(pytester: pytest.Pytester) -> None:
    _setup(pytester)
    with stub_server(adder) as (url, received):
        recorded = pytester.runpytest_subprocess(
            "--guardrail-mode=record",
            f"--guardrail-model={url}#adder",
            "-k",
            "small_sums",
            "-p",
            "no:cacheprovider",
        )
    recorded.assert_outcomes(passed=1)
    assert len(received) == 15
    cassette = pytester.path / "cassettes" / "test_adder.jsonl"
    assert len(cassette.read_text().splitlines()) == 15
    recorded.stdout.fnmatch_lines(
        ["*guardrail prompt tests (record*", "*PASS 15/15 = 100.0%*threshold 60.0%*"]
    )

    # The server is gone; replay needs no model and no network.
    replayed = pytester.runpytest_subprocess(
        "--guardrail-mode=replay", "--guardrail-model=http://127.0.0.1:9/v1", "-k", "small_sums"
    )
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["*test_small_sums: 0 model calls, 15 cached/replayed*"])


def test_replay_miss_fails_and_names_the_request(pytester: pytest.Pytester) -> None:
    _setup(pytester)
    (pytester.path / "cassettes").mkdir()
    (pytester.path / "cassettes" / "test_adder.jsonl").write_text("")
    result = pytester.runpytest_subprocess("--guardrail-mode=replay", "-k", "small_sums")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*CassetteMiss*no recording*prompt="0+0="*'])


def test_weak_prompt_fails_with_the_interval_in_its_message(pytester: pytest.Pytester) -> None:
    _setup(pytester)
    with stub_server(adder) as (url, _):
        result = pytester.runpytest_subprocess(f"--guardrail-model={url}#adder", "-k", "weak_prompt")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    m = re.search(
        r"pass rate (\d+)/20 = ([\d.]+)%, 95% interval \[([\d.]+)%, ([\d.]+)%\], threshold 80.0%", text
    )
    assert m, text[-3000:]
    successes, low, high = int(m.group(1)), float(m.group(3)), float(m.group(4))
    assert successes < 16 and low < 80.0 < 100.0 and low <= high
    assert "Failing cases" in text
    result.stdout.fnmatch_lines(["*FAIL */20 = *threshold 80.0%*"])


def test_hypothesis_shrinks_to_the_smallest_failing_input(pytester: pytest.Pytester) -> None:
    _setup(pytester)
    pytester.makepyfile(test_hypo=HYPOTHESIS_TEST)
    with stub_server(adder) as (url, _):
        result = pytester.runpytest_subprocess(f"--guardrail-model={url}#adder", "test_hypo.py")
    result.assert_outcomes(failed=1)
    shown = (
        r"(?:Falsifying example|Failing test case): test_adds_everything\("
        r"[\sE]*guard=\w+,[\sE]*a=(\d+),[\sE]*b=(\d+)"
    )
    m = re.search(shown, result.stdout.str(), re.S)
    assert m, result.stdout.str()[-3000:]
    a, b = int(m.group(1)), int(m.group(2))
    assert a + b == 100  # the boundary: the smallest sums that fail
    assert min(a, b) == 1


def test_xdist_workers_record_one_deterministic_cassette(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    _setup(pytester)
    pytester.makepyfile(
        test_more="from test_adder import PROMPT, Number\n\n"
        "def test_more_sums(guard):\n"
        "    adder = guard(PROMPT, Number(), max_tokens=4)\n"
        "    for a in range(60, 70):\n"
        "        assert adder.run(a=a, b=1).value == a + 1\n"
    )
    texts = []
    for _ in range(2):
        cassettes = pytester.path / "cassettes"
        if cassettes.exists():
            for f in cassettes.iterdir():
                f.unlink()
        with stub_server(adder) as (url, _):
            result = pytester.runpytest_subprocess(
                "-n",
                "2",
                "--guardrail-mode=record",
                f"--guardrail-model={url}#adder",
                "-k",
                "small_sums or more_sums",
                "--guardrail-cassette-dir",
                str(cassettes),
            )
        result.assert_outcomes(passed=2)
        port = url.rsplit(":", 1)[1].split("/")[0]
        texts.append({f.name: f.read_text().replace(port, "PORT") for f in sorted(cassettes.iterdir())})
    assert texts[0] == texts[1]
    assert len(texts[0]["test_adder.jsonl"].splitlines()) == 15


def test_normalized_cassette_does_not_depend_on_recording_order(tmp_path: Path) -> None:
    import random

    from guardrail.models import Recorder, Request, ScriptedModel
    from guardrail.pytest_plugin import normalize_cassette

    source = tmp_path / "source.jsonl"
    rec = Recorder(ScriptedModel(lambda r: f"<{r.prompt}>"), source)
    for i in range(12):
        rec.complete(Request(prompt=f"q{i}"))
    lines = source.read_text().splitlines()
    outputs = set()
    for seed in range(3):
        shuffled = lines + lines[:3]  # duplicates from two workers recording the same call
        random.Random(seed).shuffle(shuffled)
        copy = tmp_path / f"copy{seed}.jsonl"
        copy.write_text("\n".join(shuffled) + "\n")
        normalize_cassette(copy)
        outputs.add(copy.read_text())
    assert len(outputs) == 1
    assert len(outputs.pop().splitlines()) == 12
