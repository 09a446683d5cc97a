"""Templates (sandboxed, strict) and prompt spaces (enumeration, few-shot selection, baking)."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrail.errors import ConfigurationError, TemplateError
from guardrail.prompt import Template
from guardrail.resources import prompts_dir
from guardrail.search.space import PromptSpace, bake, select_examples
from guardrail.suites import Case, load_suite

DATA = Path(__file__).parent / "data" / "suites"
INJECTION = "{{ ''.__class__.__mro__ }} {% for x in range(3) %}loop{% endfor %}"


def labelled(n: int) -> list[Case]:
    return [
        Case(f"c{i}", {"sentence": f"sentence {i}"}, "positive" if i % 3 else "negative") for i in range(n)
    ]


def test_render_fills_variables() -> None:
    assert Template("Hello {{ name }}!").render(name="Ada") == "Hello Ada!"


def test_undefined_variable_names_template_variable_and_line() -> None:
    template = Template("first line\nsecond {{ missing }}", name="greeting.j2")
    with pytest.raises(TemplateError) as info:
        template.render(present=1)
    message = str(info.value)
    assert "greeting.j2" in message
    assert "'missing'" in message
    assert "line 2" in message


def test_undefined_attribute_is_an_error_too() -> None:
    with pytest.raises(TemplateError, match="'label'"):
        Template("{{ case.label }}").render(case={})


def test_case_data_is_never_template_source() -> None:
    rendered = Template("Review: {{ sentence }}").render(sentence=INJECTION)
    assert rendered == "Review: " + INJECTION


def test_template_source_cannot_reach_python_internals() -> None:
    with pytest.raises(TemplateError, match="unsafe"):
        Template("{{ ''.__class__.__mro__ }}").render()


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(TemplateError, match="line 2"):
        Template("ok\n{% for x in %}", name="broken.j2")


def test_shipped_template_loads_by_name() -> None:
    template = Template.load("sst2/fewshot.j2")
    assert Path(template.name).is_relative_to(prompts_dir())
    assert {"sentence", "examples", "format", "instruction"} <= template.variables


def test_missing_template_file_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="not found"):
        Template.load("no/such/template.j2")


def space_dict() -> dict[str, object]:
    return {
        "name": "toy",
        "request": {"max_tokens": 3, "stop": ["\n"]},
        "fixed": {
            "template": {
                "source": "{% for ex in examples %}{{ ex.sentence }} => {{ ex.answer }}\n{% endfor %}"
                "{{ prefix }}{{ sentence }} =>"
            }
        },
        "dimensions": {
            "labels": [{"positive": "great", "negative": "terrible"}, {"positive": "yes", "negative": "no"}],
            "k": [0, 2, 4],
            "prefix": {"plain": "", "review": "Review: "},
        },
    }


def test_candidates_are_the_cross_product_with_unique_stable_ids() -> None:
    first = PromptSpace.from_dict(space_dict()).candidates()
    second = PromptSpace.from_dict(space_dict()).candidates()
    assert len(first) == 2 * 3 * 2
    assert len({c.id for c in first}) == len(first)
    assert [c.id for c in first] == [c.id for c in second]
    assert first[0].label == "labels=great/terrible, k=0, prefix=plain"


def test_ids_do_not_depend_on_dimension_order() -> None:
    data = space_dict()
    dims = data["dimensions"]
    assert isinstance(dims, dict)
    data["dimensions"] = dict(reversed(list(dims.items())))
    ids = {c.id for c in PromptSpace.from_dict(data).candidates()}
    assert ids == {c.id for c in PromptSpace.from_dict(space_dict()).candidates()}


def test_render_uses_label_words_and_k_examples() -> None:
    space = PromptSpace.from_dict(space_dict())
    candidate = next(
        c for c in space.candidates() if c.names == {"labels": "yes/no", "k": "4", "prefix": "review"}
    )
    train = labelled(12)
    rendered = space.render(candidate, Case("q", {"sentence": "target"}, "positive"), train)
    lines = rendered.text.split("\n")
    assert len(rendered.examples) == 4
    assert all(line.endswith((" => yes", " => no")) for line in lines[:4])
    assert lines[-1] == "Review: target =>"
    assert rendered.request.prompt == rendered.text
    assert rendered.request.max_tokens == 3


def test_balanced_selection_alternates_labels_and_is_seeded() -> None:
    pool = labelled(30)
    drawn = select_examples(pool, 6, selection="balanced", seed=1)
    assert [c.label for c in drawn] == ["negative", "positive"] * 3
    assert drawn == select_examples(pool, 6, selection="balanced", seed=1)
    assert drawn != select_examples(pool, 6, selection="balanced", seed=2)


def test_orders() -> None:
    pool = labelled(30)
    drawn = select_examples(pool, 6, selection="balanced", order="by_label", seed=0)
    assert [c.label for c in drawn] == ["negative"] * 3 + ["positive"] * 3
    shuffled = select_examples(pool, 6, selection="balanced", order="shuffled", seed=0)
    assert sorted(c.id for c in shuffled) == sorted(c.id for c in drawn)


def test_case_variables_may_not_shadow_settings() -> None:
    space = PromptSpace.from_dict(space_dict())
    with pytest.raises(ConfigurationError, match="prefix"):
        space.check_variables({"sentence", "prefix"})


def test_a_setting_cannot_be_fixed_and_a_dimension() -> None:
    data = space_dict()
    data["fixed"] = {"k": 1, "template": "x.j2"}
    with pytest.raises(ConfigurationError, match="'k'"):
        PromptSpace.from_dict(data)


def test_injection_in_case_and_examples_comes_out_literally() -> None:
    space = PromptSpace.from_dict(space_dict())
    candidate = next(c for c in space.candidates() if c.names["k"] == "2")
    train = [Case("t1", {"sentence": INJECTION}, "positive"), Case("t2", {"sentence": "fine"}, "negative")]
    rendered = space.render(candidate, Case("q", {"sentence": INJECTION}, "positive"), train)
    assert rendered.text.count(INJECTION) == 2


def test_baked_template_reproduces_the_prompt_for_other_cases() -> None:
    space = PromptSpace.from_dict(space_dict())
    candidate = next(c for c in space.candidates() if c.names["k"] == "4")
    train = [*labelled(8), Case("inj", {"sentence": INJECTION + "\n"}, "negative")]
    source = bake(space, candidate, train, Case("a", {"sentence": "first"}, "positive"))
    assert source is not None
    other = Case("b", {"sentence": "another {{ one }}"}, "negative")
    assert Template(source).render(sentence="another {{ one }}") == space.render(candidate, other, train).text


def test_shipped_sst2_space_has_twenty_or_more_variants() -> None:
    space = PromptSpace.load("sst2")
    assert space.size >= 20
    assert len(space.candidates()) == space.size


@pytest.mark.parametrize(
    ("space_name", "suite_file"),
    [
        ("sst2", "sst2/stsa.binary.dev40"),
        ("capitals", "country_capitals/capitals9.json"),
        ("arithmetic", "bigbench/arithmetic_1_digit_addition.json"),
        ("bbh", "bbh/sports_understanding.json"),
        ("gsm8k", "gsm8k/test5.jsonl"),
        ("humaneval", "humaneval/HumanEval3.jsonl.gz"),
        ("mbpp", "mbpp/mbpp3.json"),
    ],
)
def test_every_shipped_space_renders_its_suite(space_name: str, suite_file: str) -> None:
    suite = load_suite(DATA / suite_file, strict=False)
    space = PromptSpace.load(space_name)
    space.check_variables({v for c in suite.cases for v in c.variables})
    for candidate in space.candidates():
        rendered = space.render(candidate, suite.cases[-1], suite.cases[:-1])
        assert rendered.text.strip()
        for value in suite.cases[-1].variables.values():
            assert str(value).strip()[:20] in rendered.text
