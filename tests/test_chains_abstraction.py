"""Abstract domains derived from checks: what a model step's value can be, as far as the verifier knows."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

import pytest
from pydantic import AfterValidator, BaseModel, Field

from guardrail.chains import abstract_check
from guardrail.chains.abstraction import domain_of_type
from guardrail.chains.domains import AnyValue, Finite, IntRange
from guardrail.checks import Automaton, Grammar, Predicate, Schema
from guardrail.errors import ConfigurationError


def values(domain: object) -> list[object]:
    assert isinstance(domain, Finite)
    samples = domain.samples()
    assert samples is not None
    return [s.value for s in samples]


def assert_witnesses_pass(check: object, domain: object) -> None:
    """Every sample text is accepted by the check and turns into the sample's value."""
    assert isinstance(domain, Finite)
    assert hasattr(check, "check")
    for sample in domain.members:
        assert sample.text is not None
        verdict = check.check(sample.text)  # type: ignore[attr-defined]
        assert verdict.ok and verdict.value == sample.value


def test_yes_no_grammar_is_two_values() -> None:
    check = Grammar.from_file("yes_no")
    abstraction = abstract_check(check)
    assert sorted(values(abstraction.domain), key=str) == [False, True]
    assert_witnesses_pass(check, abstraction.domain)
    # its texts are infinite (any whitespace, any letter case) but regular: a superset is known
    assert abstraction.language is not None
    for text in ("yes", " No\n", "YES"):
        assert check.check(text).ok and abstraction.language.accepts(text)


def test_choice_grammar_is_five_letters() -> None:
    check = Grammar.from_file("choice_ae")
    abstraction = abstract_check(check)
    assert sorted(values(abstraction.domain)) == ["A", "B", "C", "D", "E"]
    assert_witnesses_pass(check, abstraction.domain)
    assert abstraction.language is not None and abstraction.language.accepts(" ( C ) ")


def test_recursive_grammar_is_any_tree_with_a_reason_and_an_example() -> None:
    check = Grammar.from_file("sexpr")
    abstraction = abstract_check(check)
    domain = abstraction.domain
    assert isinstance(domain, AnyValue) and domain.kind == "any tree"
    assert "refers back to itself" in domain.reason
    assert abstraction.language is None and "not regular" in abstraction.language_note
    example = domain.witness()
    assert example is not None and example.text is not None and check.check(example.text).ok


def test_number_grammar_is_infinite_but_regular() -> None:
    check = Grammar.from_file("number")
    abstraction = abstract_check(check)
    assert isinstance(abstraction.domain, AnyValue) and "NUMBER" in abstraction.domain.reason
    assert abstraction.language is not None
    for text in ("42", " -3.5 ", "+.5"):
        assert check.check(text).ok and abstraction.language.accepts(text)
    assert not abstraction.language.accepts("forty-two")


def test_finite_automaton_is_its_label_set() -> None:
    check = Automaton.regex("search|send_email|done")
    assert sorted(values(abstract_check(check).domain)) == ["done", "search", "send_email"]  # type: ignore[type-var]


def test_infinite_automaton_is_any_text_with_an_accepted_example() -> None:
    check = Automaton.regex("[a-z]+")
    domain = abstract_check(check).domain
    assert isinstance(domain, AnyValue) and "more than" in domain.reason
    example = domain.witness()
    assert example is not None and example.text is not None and check.check(example.text).ok


class Color(Enum):
    RED = "red"
    BLUE = "blue"


def test_literal_enum_and_bool_schemas_are_finite() -> None:
    assert values(abstract_check(Schema(Literal["a", "b"])).domain) == ["a", "b"]
    assert values(abstract_check(Schema(Color)).domain) == [Color.RED, Color.BLUE]
    assert values(abstract_check(Schema(bool)).domain) == [False, True]


def test_bounded_integers_small_and_large() -> None:
    small = abstract_check(Schema(Annotated[int, Field(ge=1, le=3)])).domain
    assert values(small) == [1, 2, 3]
    large = abstract_check(Schema(Annotated[int, Field(ge=0, le=10_000)])).domain
    assert isinstance(large, IntRange) and (large.lo, large.hi) == (0, 10_000)
    splits = large.refine((), [5, 20_000, "5"])
    assert [(s.case, s.exact) for s in splits] == [(0, True), (None, True)]  # 20000 and "5" cannot happen
    rest = splits[1].domain
    assert isinstance(rest, IntRange) and 5 in rest.excluded


class Call(BaseModel):
    name: Literal["search", "send"]
    arguments: dict[str, str]


def test_object_schema_enumerates_finite_fields_and_keeps_others_opaque() -> None:
    check = Schema(Call)
    domain = abstract_check(check).domain
    assert isinstance(domain, Finite) and set(domain.opaque) == {"arguments"}
    assert sorted(s.value.name for s in domain.members) == ["search", "send"]
    assert_witnesses_pass(check, domain)
    by_name = domain.refine(("name",), ["send"])
    assert {(s.case, s.exact) for s in by_name} == {(0, True), (None, True)}
    by_arguments = domain.refine(("arguments",), [{}])
    assert all(not s.exact and "not enumerated" in s.reason for s in by_arguments)


def test_json_grammar_then_schema_takes_the_schema_domain() -> None:
    check = Grammar.from_file("json") >> Schema(Call)
    domain = abstract_check(check).domain
    assert isinstance(domain, Finite) and len(domain.members) == 2
    assert_witnesses_pass(check, domain)


def test_custom_validators_are_not_enumerated() -> None:
    shouting = Annotated[Literal["a", "b"], AfterValidator(str.upper)]
    domain = abstract_check(Schema(shouting)).domain
    assert isinstance(domain, AnyValue) and "custom validators" in domain.reason


def test_predicate_is_unknown_until_given_examples() -> None:
    nonempty = Predicate(lambda s: bool(s.strip()), name="nonempty")
    domain = abstract_check(nonempty).domain
    assert isinstance(domain, AnyValue) and "nonempty is a Python function" in domain.reason
    assert domain.witness() is None
    with_example = abstract_check(nonempty, examples=["hello"]).domain
    assert with_example.witness() is not None and with_example.witness().text == "hello"  # type: ignore[union-attr]
    with pytest.raises(ConfigurationError, match="rejected by its own check"):
        abstract_check(nonempty, examples=["   "])


def test_pipeline_filters_a_finite_domain() -> None:
    check = Grammar.from_file("choice_ae") >> Predicate(lambda letter: letter in "AB", name="a_or_b")
    assert values(abstract_check(check).domain) == ["A", "B"]


def test_text_output_domain() -> None:
    finite = abstract_check(Automaton.regex("yes|no"), output="text").domain
    assert sorted(values(finite)) == ["no", "yes"]  # type: ignore[type-var]
    texts = abstract_check(Grammar.from_file("yes_no"), output="text").domain
    assert isinstance(texts, AnyValue) and texts.witness() is not None


def test_tool_return_types() -> None:
    assert values(domain_of_type(bool)) == [False, True]
    assert values(domain_of_type(Literal["pass", "fail"])) == ["pass", "fail"]
    assert values(domain_of_type(None)) == [None]
    assert isinstance(domain_of_type(int), AnyValue)
    assert isinstance(domain_of_type(list[str]), AnyValue)
