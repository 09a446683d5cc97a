"""Issue 'pytest plugin' done-when: the README's example prompt test runs live against the embedded model,
records a cassette, replays it with the network unreachable, and the weak prompt fails with its interval."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.local_model,
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

EXAMPLE = Path(__file__).parents[1] / "examples" / "test_capitals_prompt.py"


def test_readme_example_live_record_replay(pytester: pytest.Pytester) -> None:
    from .conftest import local_model_available

    if not local_model_available():
        pytest.skip("needs the 'local' extra")
    pytester.makepyfile(test_capitals_prompt=EXAMPLE.read_text())
    pytester.makeini("[pytest]\nguardrail_cassette_dir = cassettes\n")

    live = pytester.runpytest_subprocess("--guardrail-mode=live", "--guardrail-model=local")
    live.assert_outcomes(passed=1, failed=1)

    recorded = pytester.runpytest_subprocess("--guardrail-mode=record", "--guardrail-model=local")
    recorded.assert_outcomes(passed=1, failed=1)
    cassette = pytester.path / "cassettes" / "test_capitals_prompt.jsonl"
    assert len(cassette.read_text().splitlines()) >= 16  # 8 cases × 2 prompts, plus any repairs

    # Replay: the configured model is an address where nothing listens; nothing but the cassette is used.
    replayed = pytester.runpytest_subprocess(
        "--guardrail-mode=replay", "--guardrail-model=http://127.0.0.1:9/v1"
    )
    replayed.assert_outcomes(passed=1, failed=1)
    out = replayed.stdout.str()
    assert re.search(r"test_few_shot_capitals: 0 model calls, \d+ cached/replayed", out), out[-3000:]
    m = re.search(r"pass rate (\d+)/8 = [\d.]+%, 95% interval \[([\d.]+)%, ([\d.]+)%\], threshold 60.0%", out)
    assert m, out[-3000:]
    assert float(m.group(2)) < 60.0
