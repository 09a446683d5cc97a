"""The Grammar check and the shipped grammars: accepted and rejected samples, values, errors, extraction."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Transformer, Tree

from guardrail.checks.grammar import SHIPPED, Grammar
from guardrail.errors import ConfigurationError, GrammarError
from guardrail.resources import available_grammars, grammar_path, grammars_dir, prompts_dir


@pytest.fixture(scope="module")
def json_grammar() -> Grammar:
    return Grammar.from_file("json")


# -- json.lark ------------------------------------------------------------------------------------------

JSON_ACCEPTED = [
    "{}",
    "[]",
    '  {"a": 1}\n',
    '{"a": [1, 2, {"b": null}], "c": true, "d": false}',
    '"plain"',
    '"escapes: \\" \\\\ \\/ \\b \\f \\n \\r \\t"',
    '"\\u00e9\\u20AC"',
    '"\\ud83d\\ude00"',  # a surrogate pair: one character
    '"unicode as is: é € 😀"',
    "0",
    "-0",
    "12",
    "-12.5",
    "1e10",
    "1E-2",
    "-1.25e+3",
    "0.5",
    "true",
    "null",
    "\t[\r\n1 ,2 ]",
    '{"a": {"a": {"a": []}}}',
    '{"dup": 1, "dup": 2}',
]

JSON_REJECTED = [
    "",
    "   ",
    '{"a": 1,}',
    "[1, 2,]",
    "{'a': 1}",
    "{a: 1}",
    "01",
    "+1",
    ".5",
    "1.",
    "1e",
    "0x10",
    "NaN",
    "Infinity",
    "-Infinity",
    "True",
    "nul",
    '"tab\tinside"',
    '"bad escape \\x41"',
    '"short \\u12"',
    '"unterminated',
    "[1 2]",
    "1 2",
    '{"a": 1} // comment',
    '{"a" 1}',
    "[1, 2",
    '{"a": 1}}',
    "\u00a0{}",  # no-break space is not JSON whitespace
]


@pytest.mark.parametrize("text", JSON_ACCEPTED)
def test_json_accepts_what_rfc_8259_allows_with_the_values_json_loads_gives(
    json_grammar: Grammar, text: str
) -> None:
    verdict = json_grammar.check(text)
    assert verdict.ok, verdict.feedback()
    assert verdict.value == json.loads(text)
    assert type(verdict.value) is type(json.loads(text))


@pytest.mark.parametrize("text", JSON_REJECTED)
def test_json_rejects_what_rfc_8259_forbids(json_grammar: Grammar, text: str) -> None:
    verdict = json_grammar.check(text)
    assert not verdict.ok
    assert verdict.errors[0].feedback


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(value=json_values, indent=st.sampled_from([None, 0, 2]), ascii_only=st.booleans())
def test_json_agrees_with_the_json_module_on_what_it_writes(
    json_grammar: Grammar, value: Any, indent: int | None, ascii_only: bool
) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    verdict = json_grammar.check(text)
    assert verdict.ok, verdict.feedback()
    assert verdict.value == json.loads(text)


# -- the other shipped grammars --------------------------------------------------------------------------

SEXPR_ACCEPTED = [
    "(define (f x) (+ x 1))",
    "#lang racket\n(define (square x) (* x x))\n",
    "(let ([x 1] [y 2]) {+ x y})",
    '(define s "a \\"quoted\\" string\nwith a newline")',
    "'(1 2 3) `(a ,b ,@c) #'f",
    "(list #t #f #true #false #\\a #\\space #:key -5 1.5e3 a.b)",
    "; a comment\n(f) #| block\ncomment |# (g)",
    "#(1 2 3)",
    "(a . b)",
    "x",
]

SEXPR_REJECTED = [
    "",
    "; only a comment",
    "(define (f x) (+ x 1)",
    "(f))",
    "(a b]",
    "[a b)",
    '(f "unterminated)',
    "#| unterminated comment (f)",
    "#lang racket\n",
    "(f '))",
    "(f #)",
]


@pytest.mark.parametrize("text", SEXPR_ACCEPTED)
def test_sexpr_accepts_racket_programs(text: str) -> None:
    verdict = Grammar.from_file("sexpr").check(text)
    assert verdict.ok, verdict.feedback()
    assert isinstance(verdict.value, Tree)


@pytest.mark.parametrize("text", SEXPR_REJECTED)
def test_sexpr_rejects_broken_programs(text: str) -> None:
    assert not Grammar.from_file("sexpr").check(text).ok


def test_sexpr_tree_shows_the_head_of_the_definition() -> None:
    tree = Grammar.from_file("sexpr").check("#lang racket\n(define (f x) x)").value
    lang, form = tree.children
    assert lang.data == "lang_line"
    assert form.data == "list"
    assert form.children[0].children[0] == "define"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("-3", -3),
        ("+7", 7),
        ("0.5", 0.5),
        (".5", 0.5),
        ("-12.25", -12.25),
        (" 12\n", 12),
        ("007", 7),
    ],
)
def test_number_answers_become_int_or_float(text: str, value: int | float) -> None:
    verdict = Grammar.from_file("number").check(text)
    assert verdict.ok, verdict.feedback()
    assert verdict.value == value
    assert type(verdict.value) is type(value)


@pytest.mark.parametrize("text", ["", "1,000", "1e5", "42.", "4 2", "forty", "--1", "+-1", "1/2", "$5"])
def test_number_rejects_other_text(text: str) -> None:
    assert not Grammar.from_file("number").check(text).ok


@pytest.mark.parametrize(
    ("text", "value"), [("yes", True), ("Yes", True), ("YES\n", True), ("no", False), (" No", False)]
)
def test_yes_no_answers_become_bools(text: str, value: bool) -> None:
    verdict = Grammar.from_file("yes_no").check(text)
    assert verdict.ok, verdict.feedback()
    assert verdict.value is value


@pytest.mark.parametrize("text", ["", "y", "yeah", "nope", "yes no", "true", "yes."])
def test_yes_no_rejects_other_text(text: str) -> None:
    assert not Grammar.from_file("yes_no").check(text).ok


@pytest.mark.parametrize(("text", "value"), [("A", "A"), ("E", "E"), ("(B)", "B"), (" ( C ) \n", "C")])
def test_choice_answers_become_the_letter(text: str, value: str) -> None:
    verdict = Grammar.from_file("choice_ae").check(text)
    assert verdict.ok, verdict.feedback()
    assert verdict.value == value


@pytest.mark.parametrize("text", ["", "F", "b", "(B", "B)", "AB", "((B))", "A or B"])
def test_choice_rejects_other_text(text: str) -> None:
    assert not Grammar.from_file("choice_ae").check(text).ok


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "get_weather", "arguments": {"city": "Paris", "days": [1, 2]}}',
        '{"arguments": {}, "name": "noop"}',
        '{ "name" : "f" , "arguments" : {"name": {"arguments": null}} }',
    ],
)
def test_tool_calls_become_dicts(text: str) -> None:
    verdict = Grammar.from_file("tool_call").check(text)
    assert verdict.ok, verdict.feedback()
    expected = json.loads(text)
    assert verdict.value == {"name": expected["name"], "arguments": expected["arguments"]}


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "f"}',
        '{"arguments": {}}',
        '{"name": "f", "arguments": [1]}',
        '{"name": 3, "arguments": {}}',
        '{"name": "f", "arguments": {}, "extra": 1}',
        '{"name": "f", "name": "g"}',
        '["f", {}]',
    ],
)
def test_tool_call_rejects_other_shapes(text: str) -> None:
    assert not Grammar.from_file("tool_call").check(text).ok


@pytest.mark.parametrize("name", available_grammars())
def test_every_shipped_grammar_is_lalr_so_it_can_judge_prefixes(name: str) -> None:
    grammar = Grammar.from_file(name)
    assert grammar.algorithm == "lalr"
    assert grammar.judges_prefixes
    assert not Grammar.from_file(name, extract=True).judges_prefixes


# -- loading, transformers, algorithms -------------------------------------------------------------------


def test_a_bare_name_a_file_name_and_a_path_load_the_same_grammar() -> None:
    by_name = Grammar.from_file("json")
    by_file_name = Grammar.from_file("json.lark")
    by_path = Grammar.from_file(grammar_path("json"))
    for grammar in (by_name, by_file_name, by_path):
        assert grammar.check('{"a": [1]}').value == {"a": [1]}
        assert grammar.name == "grammar:json"


def test_unknown_grammar_name_lists_the_available_ones() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Grammar.from_file("jsonn")
    assert "jsonn" in str(caught.value)
    for name in available_grammars():
        assert name in str(caught.value)


def test_transformer_none_gives_the_parse_tree() -> None:
    verdict = Grammar.from_file("json", transformer=None).check("[1]")
    assert isinstance(verdict.value, Tree)
    assert verdict.value.data == "array"


def test_a_custom_transformer_and_a_callable_make_the_value() -> None:
    class Count(Transformer[Any, Any]):
        def array(self, children: list[Any]) -> int:
            return len(children)

    assert Grammar.from_file("json", transformer=Count()).check("[1, 2, 3]").value == 3
    assert Grammar.from_file("json", transformer=lambda tree: tree.data).check("[1]").value == "array"


def test_a_string_grammar_with_its_own_transformer() -> None:
    class Sum(Transformer[Any, Any]):
        def start(self, children: list[Any]) -> int:
            return sum(int(c) for c in children)

    grammar = Grammar('start: INT ("+" INT)*\nINT: /[0-9]+/\n%ignore " "', transformer=Sum())
    assert grammar.check("1 + 2 + 39").value == 42
    assert grammar.name == "grammar"
    assert not grammar.check("1 +").ok


def test_a_transformer_value_error_is_a_rejection_and_other_exceptions_are_bugs() -> None:
    class Picky(Transformer[Any, Any]):
        def array(self, children: list[Any]) -> list[Any]:
            if len(children) > 2:
                raise ValueError("at most two items")
            return children

        def object(self, children: list[Any]) -> None:
            raise KeyError("a bug in the transformer")

    grammar = Grammar.from_file("json", transformer=Picky())
    verdict = grammar.check("[1, 2, 3]")
    assert not verdict.ok
    assert "at most two items" in verdict.feedback()
    # Trees are built without positions (faster); a rejected part is located at its first token.
    assert verdict.errors[0].offset == 1
    with pytest.raises(KeyError):
        grammar.check("{}")


def test_an_ambiguous_grammar_falls_back_to_earley_and_still_checks() -> None:
    grammar = Grammar('start: e\ne: e "+" e | NUMBER\nNUMBER: /[0-9]+/\n%ignore " "')
    assert grammar.algorithm == "earley"
    assert grammar.check("1 + 2 + 3").ok
    verdict = grammar.check("1 + + 3")
    assert not verdict.ok
    assert verdict.errors[0].column == 5
    assert grammar.viable("1 + +")  # Earley grammars never claim "not viable"


def test_a_grammar_can_import_the_shipped_json_rules() -> None:
    grammar = Grammar('start: "answer:" value\n%import json (value, WS)\n%ignore WS')
    assert grammar.algorithm == "lalr"
    assert grammar.check('answer: {"a": [1]}').ok
    assert not grammar.check("answer: {").ok


def test_checking_something_that_is_not_text_is_misuse(json_grammar: Grammar) -> None:
    with pytest.raises(ConfigurationError, match="checks text"):
        json_grammar.check({"a": 1})


def test_shipped_sentinel_only_applies_to_shipped_grammars(tmp_path: Path) -> None:
    own = tmp_path / "json.lark"  # same name as a shipped grammar, but not the shipped file
    own.write_text(grammar_path("json").read_text())
    assert isinstance(Grammar.from_file(own, transformer=SHIPPED).check("[1]").value, Tree)


# -- finding the shipped folders ------------------------------------------------------------------------


def test_an_installed_package_copy_of_the_grammars_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "guardrail"
    (package / "grammars").mkdir(parents=True)
    (package / "prompts").mkdir()
    (package / "grammars" / "only_here.lark").write_text('start: "x"\n')
    monkeypatch.setattr(importlib.resources, "files", lambda _name: package)
    assert available_grammars() == ["only_here"]
    assert grammar_path("only_here") == package / "grammars" / "only_here.lark"
    assert prompts_dir() == package / "prompts"
    assert Grammar.from_file("only_here").check("x").ok


def test_a_checkout_without_package_data_uses_the_repository_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.resources, "files", lambda _name: tmp_path)  # no grammars/ inside
    assert grammars_dir() == Path(__file__).resolve().parents[1] / "grammars"
    assert "json" in available_grammars()


@pytest.mark.parametrize("name", ["../json", "sub/json", ".hidden", ""])
def test_grammar_names_are_not_paths(name: str) -> None:
    with pytest.raises(ConfigurationError):
        grammar_path(name)


# -- malformed grammars ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ('start: a\na: "x" b\n', 2),  # undefined rule
        ('start: a\na: "x"\nb c: "y"\n', 3),  # syntax error
        ('start: a\n\na: "x" /[unclosed/\n', 3),  # a regexp that does not compile
        ('start: A\nA: "x"\nA: "y"\n', 3),  # terminal defined twice
    ],
)
def test_a_malformed_grammar_file_names_the_file_and_line(tmp_path: Path, content: str, line: int) -> None:
    path = tmp_path / "broken.lark"
    path.write_text(content)
    with pytest.raises(GrammarError) as caught:
        Grammar.from_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"line {line}" in message


def test_a_malformed_grammar_string_names_the_line() -> None:
    with pytest.raises(GrammarError, match=r"<string>, line 2"):
        Grammar('start: a\na: "x" missing\n')


def test_a_missing_grammar_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        Grammar.from_file(tmp_path / "absent.lark")


# -- error details ---------------------------------------------------------------------------------------


def test_error_points_at_the_bad_token_with_readable_expectations(json_grammar: Grammar) -> None:
    verdict = json_grammar.check('{\n  "a": 1\n  "b": 2\n}')
    (error,) = verdict.errors
    assert (error.line, error.column, error.offset) == (3, 3, 13)
    assert error.expected == "a closing '}' or ','"
    assert error.feedback == "At line 3, column 3, expected a closing '}' or ',' but found '\"b\"'."
    assert error.check == "grammar:json"
    assert "RBRACE" not in error.message and "COMMA" not in error.message


def test_error_for_a_trailing_comma_expects_a_string(json_grammar: Grammar) -> None:
    (error,) = json_grammar.check('{"a": 1,}').errors
    assert (error.line, error.column) == (1, 9)
    assert error.expected == "a string"
    assert "'}'" in error.feedback


def test_error_at_the_end_says_the_answer_stops_too_early(json_grammar: Grammar) -> None:
    (error,) = json_grammar.check("[1, 2").errors
    assert error.offset == 5
    assert error.feedback.startswith("Your answer stops too early")
    assert error.expected == "a closing ']' or ','"


def test_error_inside_a_token_points_at_the_character_that_breaks_it(json_grammar: Grammar) -> None:
    (error,) = json_grammar.check('["ok", "abc\\q"]').errors
    assert error.offset == 12  # the 'q' after the backslash
    assert error.expected == "the rest of a string"
    (error,) = json_grammar.check("[tru]").errors
    assert error.offset == 4
    assert error.expected == "the rest of 'true'"


def test_error_after_a_complete_answer_expects_the_end(json_grammar: Grammar) -> None:
    (error,) = json_grammar.check('{"a": 1} and more').errors
    assert error.offset == 9
    assert error.expected == "the end of the answer"


def test_error_expected_lists_every_way_to_start_a_value(json_grammar: Grammar) -> None:
    (error,) = json_grammar.check('{"a": }').errors
    assert error.expected is not None
    for phrase in ("'{'", "'['", "a string", "a number", "'true'", "'false'", "'null'"):
        assert phrase in error.expected


def test_feedback_is_one_short_sentence_even_for_huge_tokens(json_grammar: Grammar) -> None:
    (error,) = json_grammar.check('{"a": 1 ' + '"' + "x" * 5000 + '"}').errors
    assert len(error.feedback) < 200
    assert error.feedback.count(".") <= 2


# -- extraction ------------------------------------------------------------------------------------------


def test_extraction_prefers_a_fenced_block() -> None:
    grammar = Grammar.from_file("json", extract=True)
    reply = 'Here you go: {"draft": 1}\n```json\n{"name": "Bob", "age": 30}\n```\nAnything else?'
    assert grammar.check(reply).value == {"name": "Bob", "age": 30}


def test_extraction_handles_fences_without_a_tag_and_unclosed_fences() -> None:
    grammar = Grammar.from_file("json", extract=True)
    assert grammar.check("```\n[1, 2]\n```").value == [1, 2]
    assert grammar.check('Sure:\n```json\n{"a": true}\n').value == {"a": True}
    assert Grammar.from_file("number", extract=True).check("```42```").value == 42


def test_extraction_finds_the_longest_answer_in_prose() -> None:
    grammar = Grammar.from_file("json", extract=True)
    reply = 'The key "name" is set: {"name": "Bob", "tags": ["a"]}. Hope "this" helps!'
    assert grammar.check(reply).value == {"name": "Bob", "tags": ["a"]}


def test_extraction_modes_first_and_last() -> None:
    reply = "I had 12 apples, ate 3, so 9 remain."
    assert Grammar.from_file("number", extract="first").check(reply).value == 12
    assert Grammar.from_file("number", extract="last").check(reply).value == 9


def test_extraction_does_not_cut_words() -> None:
    grammar = Grammar.from_file("choice_ae", extract=True)
    assert grammar.check("After Careful Analysis, Every option but (D) is wrong.").value == "D"
    assert grammar.check("Answer: B").value == "B"
    assert not grammar.check("Because Everything Depends.").ok
    assert Grammar.from_file("yes_no", extract=True).check("Nobody knows, but yes.").value is True


def test_extraction_failure_points_into_the_broken_answer() -> None:
    grammar = Grammar.from_file("json", extract=True)
    reply = 'Sure! Here is the JSON: {"name": "Bob", "age": }. Anything else?'
    (error,) = grammar.check(reply).errors
    assert error.offset == reply.index("}")
    assert error.expected is not None and "a number" in error.expected


def test_extraction_failure_without_any_candidate() -> None:
    (error,) = Grammar.from_file("json", extract=True).check("I cannot help with that.").errors
    assert error.offset is None
    assert error.expected is not None and "'{'" in error.expected
    assert "no answer" in error.feedback


def test_extraction_reports_an_unusable_answer() -> None:
    verdict = Grammar.from_file("json", extract=True).check("The value is 1e999, which is big.")
    assert not verdict.ok
    assert "too large" in verdict.feedback()


def test_extraction_mode_must_be_known() -> None:
    with pytest.raises(ConfigurationError):
        Grammar.from_file("json", extract="middle")  # type: ignore[arg-type]
