"""Automaton, Schema and Predicate composed with ``>>``: each check gets the previous one's accepted value."""

from __future__ import annotations

import json

from pydantic import BaseModel

from guardrail.checks.automaton import Automaton
from guardrail.checks.base import Pipeline
from guardrail.checks.predicate import Predicate
from guardrail.checks.schema import Schema


class Person(BaseModel):
    name: str
    age: int


def test_automaton_then_converter_then_predicate() -> None:
    even_integer = (
        Automaton.regex(r"-?[0-9]+")
        >> Predicate.map(int)
        >> Predicate(lambda n: n % 2 == 0 or f"{n} is odd; answer with an even number.")
    )
    assert isinstance(even_integer, Pipeline)
    assert len(even_integer.checks) == 3
    assert even_integer.check("-42").value == -42
    odd = even_integer.check("7")
    assert odd.errors[0].feedback == "7 is odd; answer with an even number."
    not_a_number = even_integer.check("7.5")
    assert not_a_number.errors[0].check.startswith("regex(")  # the first rejection wins
    assert not_a_number.errors[0].offset == 1


def test_prefix_viability_comes_from_the_first_check() -> None:
    pipeline = Automaton.regex(r"-?[0-9]+") >> Predicate.map(int)
    assert pipeline.viable("-4")
    assert not pipeline.viable("-4x")


def test_schema_on_a_parsed_dict() -> None:
    pipeline = Predicate.map(json.loads, name="json") >> Schema(Person)
    assert pipeline.check('{"name": "Ann", "age": 41}').value == Person(name="Ann", age=41)
    (error,) = pipeline.check('{"name": "Ann", "age": "old"}').errors
    assert error.check == "schema(Person)"
    assert error.path == ("age",)
    assert pipeline.check("{oops").errors[0].check == "json"


def test_schema_then_predicate_on_the_model() -> None:
    adults = Schema(Person) >> Predicate(lambda p: p.age >= 18 or f"{p.name} is {p.age}; only adults.")
    assert adults.check('{"name": "Ann", "age": 41}').ok
    assert adults.check('{"name": "Bo", "age": 9}').feedback() == "Bo is 9; only adults."
