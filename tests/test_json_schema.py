from __future__ import annotations

import json
from pathlib import Path

import pytest

from guardrail.checks import Grammar, JSONSchema
from guardrail.errors import ConfigurationError

SCHEMA = {
    "type": "object",
    "properties": {
        "key": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
        "tags": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["key"],
    "additionalProperties": False,
}


def test_accepts_valid_text_and_parsed_values() -> None:
    check = JSONSchema(SCHEMA)
    assert check.check('{"key": "abc", "tags": [1, 2]}').value == {"key": "abc", "tags": [1, 2]}
    assert check.check({"key": "ab"}).ok


def test_errors_carry_the_json_path_and_a_sentence_for_the_model() -> None:
    verdict = JSONSchema(SCHEMA).check('{"key": "ABCDEFG", "tags": [1, "x"], "extra": 1}')
    assert not verdict.ok
    paths = {e.path for e in verdict.errors}
    assert ("key",) in paths and ("tags", 1) in paths and () in paths
    tag_error = next(e for e in verdict.errors if e.path == ("tags", 1))
    assert tag_error.feedback.startswith("At $.tags[1]: 'x' is not of type 'integer'")
    assert tag_error.location() == "$.tags[1]"


def test_invalid_json_text_is_located() -> None:
    verdict = JSONSchema(SCHEMA).check('{"key": }')
    assert not verdict.ok and verdict.errors[0].line == 1 and verdict.errors[0].column == 9


def test_composes_after_the_json_grammar() -> None:
    check = Grammar.from_file("json") >> JSONSchema(SCHEMA)
    assert check.check('{"key": "ok"}').value == {"key": "ok"}
    assert check.check('{"key": 5}').errors[0].path == ("key",)


def test_hostile_inputs_are_rejected_not_raised() -> None:
    check = JSONSchema(SCHEMA)
    deep = "[" * 10_000 + "]" * 10_000
    assert not check.check(deep).ok
    assert not check.check("x" * 1_000_001).ok
    assert not check.check('{"key": "\\ud800"}').ok  # a lone surrogate fails the pattern, no crash
    assert not check.check('{"key": "a\\u0000"}').ok


def test_a_broken_schema_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"invalid JSON Schema at \$.type"):
        JSONSchema({"type": "strnig"})
    with pytest.raises(ConfigurationError, match="not valid JSON"):
        JSONSchema("{oops")


def test_jsonschemabench_schemas_load(data_dir: Path) -> None:
    path = data_dir / "jsonschemabench" / "Github_trivial_first50.jsonl"
    rows = [json.loads(line) for line in path.open()]
    loaded = 0
    for row in rows:
        try:
            JSONSchema(row["json_schema"])
            loaded += 1
        except ConfigurationError:
            pass
    assert loaded >= 45
