"""Suite loaders (generic and shipped formats), malformed rows, and generated suites with shrinking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import strategies as st

from guardrail.errors import DataFileError
from guardrail.models import ScriptedModel
from guardrail.search import PromptSpace, prompt_fails
from guardrail.suites import (
    Case,
    GeneratedSuite,
    LabelOf,
    Numeric,
    Suite,
    load_suite,
)
from guardrail.suites.loaders import infer_format, load_csv, load_jsonl, load_yaml

DATA = Path(__file__).parent / "data" / "suites"


def test_sst2_lines() -> None:
    suite = load_suite(DATA / "sst2" / "stsa.binary.dev40")
    assert len(suite) == 40
    first_line = (DATA / "sst2" / "stsa.binary.dev40").read_text().splitlines()[0]
    assert suite[0].expected == ("positive" if first_line[0] == "1" else "negative")
    assert suite[0].variables["sentence"] == first_line[2:].strip()
    assert suite.labels == ("negative", "positive")
    assert isinstance(suite.scorer, LabelOf)


def test_bigbench_task_uses_its_output_regex() -> None:
    suite = load_suite(DATA / "bigbench" / "arithmetic_1_digit_addition.json")
    raw = json.loads((DATA / "bigbench" / "arithmetic_1_digit_addition.json").read_text())
    assert len(suite) == len(raw["examples"])
    assert suite[3].variables["input"] == raw["examples"][3]["input"]
    assert suite.scorer is not None
    assert suite.scorer.score(f"{suite[3].expected} is the answer", suite[3]).ok


def test_bbh_yes_no_task_is_a_label_suite_and_counting_is_numeric() -> None:
    sports = load_suite(DATA / "bbh" / "sports_understanding.json")
    assert sports.labels == ("no", "yes")
    counting = load_suite(DATA / "bbh" / "object_counting.json")
    assert isinstance(counting.scorer, Numeric)


def test_gsm8k_expected_number_and_clean_solution() -> None:
    suite = load_suite(DATA / "gsm8k" / "test5.jsonl")
    raw = json.loads((DATA / "gsm8k" / "test5.jsonl").read_text().splitlines()[0])
    assert suite[0].expected == raw["answer"].rsplit("####", 1)[1].strip()
    assert suite[0].solution is not None and "<<" not in suite[0].solution
    assert suite[0].solution.rstrip().endswith(f"#### {suite[0].expected}")


def test_country_capitals_skip_countries_without_a_capital() -> None:
    suite = load_suite(DATA / "country_capitals" / "capitals9.json")
    assert len(suite) == 8
    assert len(suite.problems) == 1 and "no capital" in suite.problems[0].message


def test_humaneval_and_mbpp_canonical_solutions_pass_their_tests() -> None:
    for name in ("humaneval/HumanEval3.jsonl.gz", "mbpp/mbpp3.json"):
        suite = load_suite(DATA / name)
        assert suite.scorer is not None
        for case in suite:
            assert case.solution is not None
            score = suite.scorer.score(case.solution, case)
            assert score.ok, (case.id, score.errors)


def test_humaneval_wrong_completion_fails() -> None:
    suite = load_suite(DATA / "humaneval" / "HumanEval3.jsonl.gz")
    assert suite.scorer is not None
    assert not suite.scorer.score("    return None\n", suite[0]).ok


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("sst2/stsa.binary.dev40", "sst2"),
        ("bigbench/arithmetic_1_digit_addition.json", "bigbench"),
        ("bbh/sports_understanding.json", "bbh"),
        ("gsm8k/test5.jsonl", "gsm8k"),
        ("country_capitals/capitals9.json", "country_capitals"),
        ("humaneval/HumanEval3.jsonl.gz", "humaneval"),
        ("mbpp/mbpp3.json", "mbpp"),
    ],
)
def test_format_is_inferred(name: str, fmt: str) -> None:
    assert infer_format(DATA / name) == fmt


def test_jsonl_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"q": "a", "expected": "1"}\n{"q": "b", "expected": \n{"q": "c", "expected": "3"}\n')
    with pytest.raises(DataFileError, match=r"cases\.jsonl, line 2"):
        load_jsonl(path)
    lenient = load_jsonl(path, strict=False)
    assert [c.variables["q"] for c in lenient] == ["a", "c"]
    assert lenient.problems[0].line == 2


def test_jsonl_missing_expected_field(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"q": "a"}\n')
    with pytest.raises(DataFileError, match="line 1: no 'expected' field"):
        load_jsonl(path)


def test_sst2_malformed_line(tmp_path: Path) -> None:
    path = tmp_path / "stsa.binary.bad"
    path.write_text("1 good film\n7 what label is this\n0 bad film\n")
    with pytest.raises(DataFileError, match="line 2"):
        load_suite(path)
    assert len(load_suite(path, strict=False)) == 2


def test_csv_with_wrong_field_count(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("id,question,expected\n1,2+2?,4\n2,3+3?\n3,1+1?,2\n")
    with pytest.raises(DataFileError, match="line 3"):
        load_csv(path)
    suite = load_csv(path, strict=False)
    assert [c.id for c in suite] == ["1", "3"]
    assert suite[0].variables == {"question": "2+2?"}


def test_yaml_cases_with_labels_and_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(
        "name: tiny\nlabels: ['yes', 'no']\ncases:\n  - {q: is it, expected: 'yes'}\n  - just text\n"
    )
    with pytest.raises(DataFileError, match="line 5"):
        load_yaml(path)
    suite = load_yaml(path, strict=False)
    assert suite.name == "tiny" and suite.labels == ("yes", "no") and len(suite) == 1


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": "x", "expected": "1"}\n{"id": "x", "expected": "2"}\n')
    with pytest.raises(DataFileError, match="duplicate case id 'x'"):
        load_jsonl(path)


def test_unreadable_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="does not exist"):
        load_suite(tmp_path / "missing.jsonl")
    odd = tmp_path / "data.bin"
    odd.write_text("?")
    with pytest.raises(DataFileError, match="cannot tell the suite format"):
        load_suite(odd)


def addition() -> GeneratedSuite[tuple[int, int]]:
    return GeneratedSuite(
        "add",
        st.tuples(st.integers(0, 999), st.integers(0, 999)),
        lambda t: t[0] + t[1],
        variables=lambda t: {"a": t[0], "b": t[1]},
        scorer=Numeric(),
    )


def test_generated_suite_is_deterministic_and_answers_are_computed() -> None:
    first = addition().suite(25, seed_value=3)
    second = addition().suite(25, seed_value=3)
    assert [c.id for c in first] == [c.id for c in second]
    assert len(first) == 25
    assert all(c.expected == c.variables["a"] + c.variables["b"] for c in first)


def test_shrinking_finds_the_smallest_failing_input() -> None:
    def fails(case: Case) -> bool:  # a "prompt" that cannot add once the sum reaches three digits
        return int(case.variables["a"]) + int(case.variables["b"]) >= 100

    shrunk = addition().shrink(fails)
    assert shrunk is not None
    assert shrunk.value[0] + shrunk.value[1] == 100
    assert shrunk.case.expected == 100


def test_shrinking_returns_none_when_nothing_fails() -> None:
    assert addition().shrink(lambda case: False, max_examples=20) is None


def test_prompt_fails_drives_shrinking_through_a_model() -> None:
    def model_answer(request: object) -> str:  # right below 50, off by one from there on
        prompt = getattr(request, "prompt", "")
        a, b = (int(x) for x in prompt.split("?")[0].split()[-3::2])
        return str(a + b if a + b < 50 else a + b + 1)

    model = ScriptedModel(model_answer)
    space = PromptSpace.from_dict(
        {"name": "add", "fixed": {"template": {"source": "What is {{ a }} + {{ b }}?"}}}
    )
    fails = prompt_fails(model, space, space.candidates()[0], Numeric())
    shrunk = addition().shrink(fails)
    assert shrunk is not None and sum(shrunk.value) == 50


def test_suite_refuses_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="unique"):
        Suite("s", (Case("a", {}, 1), Case("a", {}, 2)))
