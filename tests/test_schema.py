"""Schema (pydantic models on JSON text or parsed values) and ToolCalls (OpenAI tools format)."""

from __future__ import annotations

import json
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, field_validator

from guardrail.checks.schema import Schema, Tool, ToolCalls, ValidatedCall
from guardrail.errors import ConfigurationError
from guardrail.models.types import Completion, ToolCall


class Person(BaseModel):
    name: str
    age: int = Field(ge=0)


class Address(BaseModel):
    city: str
    zip: str = Field(pattern=r"^[0-9]{5}$")


class Customer(BaseModel):
    person: Person
    addresses: list[Address]
    tier: Literal["free", "pro"] = "free"


class Weather(BaseModel):
    """Get the current weather in a city."""

    city: str
    unit: Literal["C", "F"] = "C"


class Search(BaseModel):
    query: str
    limit: int = 5


CUSTOMER = Schema(Customer)

# ------------------------------------------------------------------------------------------- Schema


def test_valid_json_gives_the_model_instance() -> None:
    verdict = Schema(Person).check('{"name": "Ann", "age": 41}')
    assert verdict.ok
    assert verdict.value == Person(name="Ann", age=41)


def test_an_already_parsed_value_is_validated_as_python() -> None:
    verdict = Schema(Person).check({"name": "Ann", "age": 41})
    assert verdict.ok and verdict.value == Person(name="Ann", age=41)
    assert not Schema(Person).check({"name": "Ann"}).ok


def test_wrong_type_feedback_names_path_expectation_and_value() -> None:
    verdict = Schema(Person).check('{"name": "Ann", "age": "forty"}')
    (error,) = verdict.errors
    assert error.path == ("age",)
    assert error.location() == "$.age"
    assert error.expected == "a valid integer"
    assert error.feedback.startswith("At $.age: input should be a valid integer")
    assert error.feedback.endswith('got "forty".')


def test_missing_and_constraint_errors() -> None:
    verdict = Schema(Person).check('{"age": -1}')
    by_path = {e.path: e for e in verdict.errors}
    assert set(by_path) == {("name",), ("age",)}
    assert by_path[("name",)].feedback == "At $.name: field required."
    assert by_path[("age",)].expected == "greater than or equal to 0"
    assert "got -1" in by_path[("age",)].feedback


def test_nested_paths_use_list_indices() -> None:
    text = json.dumps(
        {
            "person": {"name": "A", "age": 1},
            "addresses": [{"city": "X", "zip": "12345"}, {"city": "Y", "zip": "1"}],
        }
    )
    (error,) = Schema(Customer).check(text).errors
    assert error.path == ("addresses", 1, "zip")
    assert error.location() == "$.addresses[1].zip"


def test_invalid_json_is_one_located_error() -> None:
    text = '{"name": "Ann", "age": }'
    (error,) = Schema(Person).check(text).errors
    assert (error.code, error.path, error.offset) == ("json.invalid", None, text.index("}"))
    assert error.location() == f"line 1, column {text.index('}') + 1}"
    assert error.expected == "valid JSON"
    assert error.feedback.startswith("The answer is not valid JSON:")
    assert "line 1 column" in error.feedback


def test_errors_are_capped_with_a_summary() -> None:
    verdict = Schema(list[int], max_errors=5).check(json.dumps(["x"] * 50))
    assert len(verdict.errors) == 6
    assert verdict.errors[-1].message == "... and 45 more errors"


def test_typeadapter_types_work_too() -> None:
    assert Schema(list[int]).check("[1, 2, 3]").value == [1, 2, 3]
    assert Schema(dict[str, float]).check({"a": 1}).value == {"a": 1.0}


def test_mode_settles_str_targets() -> None:
    as_text = Schema(str, mode="python")
    assert as_text.check("hello").value == "hello"
    as_json = Schema(str)  # auto: a str is JSON text
    assert as_json.check('"hello"').value == "hello"
    assert not as_json.check("hello").ok
    with pytest.raises(ConfigurationError, match="mode='json'"):
        Schema(Person, mode="json").check({"name": "x", "age": 1})


def test_json_schema_for_prompts() -> None:
    schema = Schema(Person).json_schema()
    assert schema["required"] == ["name", "age"]
    assert schema["properties"]["age"]["minimum"] == 0


def test_a_validator_that_raises_something_odd_is_a_rejection() -> None:
    class Fussy(BaseModel):
        word: str

        @field_validator("word")
        @classmethod
        def no_zebras(cls, v: str) -> str:
            if "zebra" in v:
                raise LookupError("zebras are not allowed")  # not a ValueError: pydantic lets it escape
            return v

    verdict = Schema(Fussy).check('{"word": "zebra"}')
    assert not verdict.ok
    assert "LookupError" in verdict.errors[0].feedback


def test_unbuildable_model_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="cannot build a pydantic schema"):
        Schema(object())


@settings(max_examples=50, deadline=None, derandomize=True)
@given(name=st.text(max_size=20), age=st.integers(min_value=0, max_value=10**6))
def test_round_trip_of_valid_people(name: str, age: int) -> None:
    # Lone surrogates cannot be written as UTF-8 JSON text, so hypothesis' text() must not produce them.
    text = Person(name=name, age=age).model_dump_json()
    assert Schema(Person).check(text).value == Person(name=name, age=age)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
    )
)
def test_any_json_value_gets_a_verdict_never_an_exception(value: object) -> None:
    verdict = CUSTOMER.check(json.dumps(value))
    assert not verdict.ok  # nothing random is a valid Customer with nested person and addresses
    for error in verdict.errors:
        error.feedback.encode("utf-8")
        assert len(error.feedback) <= 300


# ---------------------------------------------------------------------------------------- ToolCalls

TOOLS = ToolCalls([("get_weather", Weather), Tool("search", Search, "Search the web.")])


def test_openai_tools_format() -> None:
    tools = TOOLS.openai_tools()
    assert [t["type"] for t in tools] == ["function", "function"]
    weather, search = (t["function"] for t in tools)
    assert weather["name"] == "get_weather"
    assert weather["description"] == "Get the current weather in a city."  # from the docstring
    assert weather["parameters"]["required"] == ["city"]
    assert weather["parameters"]["properties"]["unit"]["enum"] == ["C", "F"]
    assert search["description"] == "Search the web."
    json.dumps(tools)  # sendable as is


def test_tool_call_objects_are_validated() -> None:
    calls = [ToolCall(id="c1", name="get_weather", arguments='{"city": "Oslo", "unit": "F"}')]
    verdict = TOOLS.check(calls)
    assert verdict.ok
    assert verdict.value == [
        ValidatedCall(name="get_weather", arguments=Weather(city="Oslo", unit="F"), id="c1")
    ]


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "search", "arguments": {"query": "pydantic"}}',
        '[{"name": "search", "arguments": {"query": "pydantic"}}]',
        '{"type": "function", "function": {"name": "search", "arguments": "{\\"query\\": \\"pydantic\\"}"}}',
    ],
)
def test_json_text_forms(text: str) -> None:
    verdict = TOOLS.check(text)
    assert verdict.ok
    assert verdict.value == [ValidatedCall(name="search", arguments=Search(query="pydantic"))]


def test_parsed_json_and_completions_are_accepted() -> None:
    assert TOOLS.check({"name": "search", "arguments": {"query": "q"}}).ok
    completion = Completion(text="", tool_calls=(ToolCall(name="search", arguments='{"query": "q"}'),))
    assert TOOLS.check(completion).value[0].arguments == Search(query="q")
    assert TOOLS.check(Completion(text='{"name": "search", "arguments": {"query": "q"}}')).ok


def test_unknown_tool_lists_the_known_ones() -> None:
    (error,) = TOOLS.check('{"name": "get_time", "arguments": {}}').errors
    assert error.path == (0, "name")
    assert error.feedback == 'There is no tool named "get_time"; call one of: get_weather, search.'


def test_bad_arguments_point_into_the_call() -> None:
    good = {"name": "search", "arguments": {"query": "a"}}
    bad = {"name": "get_weather", "arguments": {"unit": "K"}}
    verdict = TOOLS.check(json.dumps([good, bad]))
    paths = {e.path for e in verdict.errors}
    assert paths == {(1, "arguments", "city"), (1, "arguments", "unit")}
    assert any(
        e.feedback.startswith("At $[1].arguments.unit: input should be 'C' or 'F'") for e in verdict.errors
    )


def test_malformed_argument_json_in_a_tool_call() -> None:
    verdict = TOOLS.check([ToolCall(name="search", arguments='{"query": ')])
    (error,) = verdict.errors
    assert error.path == (0, "arguments")
    assert error.expected == "valid JSON"


def test_call_count_limits() -> None:
    assert TOOLS.check("[]").errors[0].feedback == "Call one of the tools: get_weather, search."
    single = ToolCalls([("search", Search)], max_calls=1)
    two = '[{"name": "search", "arguments": {"query": "a"}}, {"name": "search", "arguments": {"query": "b"}}]'
    assert "at most 1 tool call" in single.check(two).errors[0].feedback


def test_things_that_are_not_calls() -> None:
    for value in ["42", '"search"', '{"arguments": {}}', "not json", [1, 2]]:
        verdict = TOOLS.check(value)
        assert not verdict.ok, value


@pytest.mark.parametrize(
    ("tools", "message"),
    [
        ([], "at least one tool"),
        ([("bad name!", Search)], "not allowed"),
        ([("a", Search), ("a", Weather)], "unique"),
        ([("a", dict)], "BaseModel subclass"),
        (["search"], "tuple"),
    ],
)
def test_bad_tool_definitions(tools: list[object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ToolCalls(tools)  # type: ignore[arg-type]
