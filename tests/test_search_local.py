"""A small real study on the embedded model: a handful of SST-2 cases, a few prompt variants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from guardrail.search import Study

pytestmark = pytest.mark.local_model

DATA = Path(__file__).parent / "data" / "suites" / "sst2"


def test_search_on_the_embedded_model_prefers_few_shot(tmp_path: Path, local_model: Any) -> None:
    config = {
        "name": "sst2-local-smoke",
        "suite": {
            "path": str(DATA / "stsa.binary.dev40"),
            "train": {"path": str(DATA / "stsa.binary.train20")},
        },
        "space": {
            "name": "sst2-small",
            "request": {"max_tokens": 3, "stop": ["\n"]},
            "fixed": {
                "template": "sst2/fewshot.j2",
                "instruction": "",
                "selection": "balanced",
                "format": {"input": "Review:", "output": "Sentiment:", "sep": "\n\n"},
                "labels": {"positive": "great", "negative": "terrible"},
            },
            "dimensions": {"k": [0, 4]},
        },
        "splits": {"validation": 0.5, "test": 0.5, "validation_max": 12, "test_max": 8},
        "strategy": {"kind": "grid"},
        "concurrency": 1,
        "cache": False,
        "output": str(tmp_path / "study"),
    }
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(config))
    result = Study.from_yaml(path, model_factory=lambda spec: local_model).run()
    by_k = {r.choices["k"]: r for r in result.candidates}
    # Measured on this model: a zero-shot prompt never answers with a label; four shots mostly do.
    assert by_k["4"].interval.estimate > by_k["0"].interval.estimate
    assert result.winner.choices["k"] == "4"
    assert result.winner.test is not None and result.winner.test_n == 8
    assert result.counters.calls == 2 * 12 + 8
