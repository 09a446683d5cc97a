"""Scorers: bad output is a wrong score with a reason, never an exception."""

from __future__ import annotations

from typing import Any

import pytest

from guardrail.checks.answers import extract_number, normalize
from guardrail.checks.base import Check, ErrorDetail, Verdict
from guardrail.checks.code import extract_code
from guardrail.models import Request, ScriptedModel
from guardrail.sandbox import Limits
from guardrail.suites import (
    Case,
    CodeAgainstTests,
    Exact,
    LabelOf,
    LLMJudge,
    Normalized,
    Numeric,
    ParseThenCompare,
    Regex,
    ScoringError,
)


def case(expected: Any, **variables: Any) -> Case:
    return Case("c", variables, expected)


def test_exact_strips_whitespace_only() -> None:
    assert Exact().score("  Paris\n", case("Paris")).ok
    assert not Exact().score("paris", case("Paris")).ok
    assert Exact(first_line=True).score("Paris\nQ: next", case("Paris")).ok


def test_normalized_ignores_case_punctuation_and_articles() -> None:
    assert Normalized().score("The  Eiffel tower.", case("eiffel Tower")).ok
    assert not Normalized().score("Eiffel", case("Eiffel Tower")).ok


def test_normalize_keeps_a_lone_choice_letter() -> None:
    assert normalize("(A)") == "a"
    assert not Normalized().score("the", case("(A)")).ok
    assert Normalized().score("(B)", case("(B)")).ok


@pytest.mark.parametrize(
    ("text", "mode", "number"),
    [
        ("so 3 + 4 = 7\n#### 7", "auto", 7.0),
        ("it costs $1,234.50 in total", "auto", 1234.5),
        ("first 3 then 9", "last", 9.0),
        ("first 3 then 9", "first", 3.0),
        ("-12 degrees", "auto", -12.0),
        ("no hashes 5", "hashes", None),
        ("nothing numeric", "auto", None),
    ],
)
def test_extract_number(text: str, mode: Any, number: float | None) -> None:
    assert extract_number(text, mode) == number


def test_numeric_tolerance_and_missing_number() -> None:
    assert Numeric().score("The answer is 18.", case("18")).ok
    assert not Numeric().score("The answer is 18.5", case(18)).ok
    assert Numeric(abs_tol=0.5).score("18.4", case(18)).ok
    assert Numeric(rel_tol=0.01).score("1005", case(1000)).ok
    missing = Numeric().score("I do not know", case(18))
    assert not missing.ok and "no number" in missing.errors[0].message
    assert missing.errors[0].code == "answer.missing"


def test_numeric_refuses_non_numeric_expected_answers() -> None:
    with pytest.raises(ScoringError, match="not a number"):
        Numeric().score("5", case("five"))


def test_regex_extracts_then_compares() -> None:
    scorer = Regex(r"answer is (\w+)", group=1)
    assert scorer.score("I think the answer is Paris.", case("paris")).ok
    assert not scorer.score("No idea.", case("paris")).ok
    assert Regex(r"\d+", which="last").score("3 then 4", case("4")).ok
    with pytest.raises(ValueError, match="invalid answer regex"):
        Regex("(unclosed")


def test_label_of_reads_the_first_word() -> None:
    scorer = LabelOf(["negative", "positive"])
    assert scorer.score(" positive\n", case("positive")).ok
    wrong = scorer.score("negative", case("positive"))
    assert not wrong.ok and wrong.errors[0].found == "negative"
    assert wrong.errors[0].code == "answer.wrong"
    none = scorer.score("I liked it", case("positive"))
    assert not none.ok and "no label" in none.errors[0].message


def test_label_words_of_a_prompt_count_for_their_labels() -> None:
    scorer = LabelOf(["negative", "positive"]).with_labels({"positive": "great", "negative": "terrible"})
    assert scorer.score(" great", case("positive")).ok
    assert scorer.score("terrible!", case("negative")).ok
    assert not scorer.score("great", case("negative")).ok


def test_label_search_mode_takes_the_earliest_label() -> None:
    scorer = LabelOf({"yes": ["yes", "plausible"], "no": ["no", "implausible"]}, search=True)
    assert scorer.score("Thinking... so the answer is no, then yes", case("no")).ok
    assert scorer.score("It is implausible.", case("no")).ok


def test_label_of_refuses_unknown_expected_labels() -> None:
    with pytest.raises(ScoringError, match="not one of"):
        LabelOf(["a", "b"]).score("a", case("c"))


class IntCheck(Check):
    name = "int"

    def check(self, value: Any) -> Verdict:
        try:
            return Verdict.accept(int(str(value).strip()))
        except ValueError:
            return Verdict.reject(
                ErrorDetail("int", f"{value!r} is not an integer", "Answer with an integer.")
            )


def test_parse_then_compare_uses_the_checks_value() -> None:
    scorer = ParseThenCompare(IntCheck())
    assert scorer.score(" 42 ", case(42)).ok
    assert not scorer.score("41", case(42)).ok
    rejected = scorer.score("forty-two", case(42))
    assert not rejected.ok and "Answer with an integer." in rejected.feedback()
    approx = ParseThenCompare(IntCheck(), compare=lambda got, want: abs(got - want) <= 1)
    assert approx.score("41", case(42)).ok


def test_extract_code_takes_the_first_fenced_block() -> None:
    assert extract_code("Here:\n```python\nx = 1\n```\nmore") == "x = 1\n"
    assert extract_code("x = 2") == "x = 2"


def test_code_against_tests_passes_fails_and_contains() -> None:
    scorer = CodeAgainstTests("plain", limits=Limits(wall_s=3, cpu_s=1, memory_mb=256))
    tests = case({"tests": ["assert add(2, 3) == 5", "assert add(-1, 1) == 0"]})
    assert scorer.score("def add(a, b):\n    return a + b", tests).ok
    wrong = scorer.score("def add(a, b):\n    return a - b", tests)
    assert not wrong.ok and wrong.errors[0].code == "code.failed"
    looping = scorer.score("def add(a, b):\n    while True:\n        pass", tests)
    assert not looping.ok and looping.errors[0].code == "code.timeout"
    forking = scorer.score("import os\nos.fork()\ndef add(a, b):\n    return a + b", tests)
    assert not forking.ok
    network = scorer.score("import socket\nsocket.create_connection(('127.0.0.1', 80))", tests)
    assert not network.ok


async def test_code_scorer_async_form_agrees() -> None:
    scorer = CodeAgainstTests("plain", limits=Limits(wall_s=3, cpu_s=1))
    tests = case("assert double(4) == 8")
    assert (await scorer.ascore("```python\ndef double(x):\n    return 2 * x\n```", tests)).ok


async def test_llm_judge_reads_its_verdict_through_a_check() -> None:
    replies = iter(["yes, it matches", "No.", "maybe?"])
    judge_model = ScriptedModel(lambda request: next(replies))
    judge = LLMJudge(judge_model)
    item = case("Paris", question="Capital of France?")
    assert (await judge.ascore("Paris", item)).ok
    said_no = await judge.ascore("Lyon", item)
    assert not said_no.ok and said_no.errors[0].code == "judge.rejected"
    unreadable = await judge.ascore("Paris", item)
    assert not unreadable.ok and "unreadable" in unreadable.errors[0].message
    first: Request = judge_model.requests[0]
    assert first.prompt is not None and "Reference answer: Paris" in first.prompt


async def test_llm_judge_keeps_output_as_data() -> None:
    judge_model = ScriptedModel(["yes"])
    judge = LLMJudge(judge_model, "Grade: {{ output }} vs {{ expected }}\nVerdict:")
    await judge.ascore("{{ ''.__class__ }}", case("x"))
    assert judge_model.requests[0].prompt == "Grade: {{ ''.__class__ }} vs x\nVerdict:"
