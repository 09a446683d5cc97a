"""Automaton: regex and explicit DFAs, the boolean algebra, prefixes, and the verdicts it gives."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrail.checks.automaton import OTHER, Automaton
from guardrail.errors import ConfigurationError

JSON_NUMBER = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?"
EMAIL = r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}"

# Patterns for the properties, each with the characters worth drawing random strings from.
PATTERNS: list[tuple[str, str]] = [
    (JSON_NUMBER, "-0123456789.eE+x"),
    (EMAIL, "ab9.@-_x%+Z"),
    (r"(ab|a)*c?", "abcd"),
    (r"(a+)+b", "ab!"),
    (r"[^\"\\]*", 'ab"\\\n'),
    (r"\d{2,4}-\w+", "0123-a_Z é"),
    (r"(?i)yes|no", "yesnoYESNO"),
    (r".{0,3}z", "az\nz"),
    (r"(x|y)*x(x|y)(x|y)", "xyz"),
    (r"\s*(true|false)\s*", "truefals \n\t"),
]

PROPERTY = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def text_over(alphabet: str, max_size: int = 12) -> st.SearchStrategy[str]:
    # Mostly the pattern's own characters, sometimes anything at all (other scripts, NUL, surrogates).
    return st.text(st.sampled_from(alphabet) | st.characters(), max_size=max_size)


# ---------------------------------------------------------------------------------------- verdicts


def test_accepts_whole_outputs_only() -> None:
    number = Automaton.regex(JSON_NUMBER)
    assert number.check("-12.5e+3").ok
    assert number.check("-12.5e+3").value == "-12.5e+3"
    assert not number.check("12 ").ok  # full match: trailing text is not ignored
    assert not number.check(" 12").ok


def test_rejection_reports_where_it_died_and_what_would_have_fit() -> None:
    verdict = Automaton.regex(JSON_NUMBER).check("01")
    assert not verdict.ok
    (error,) = verdict.errors
    assert error.offset == 1
    assert (error.line, error.column) == (1, 2)
    assert error.expected == "one of '.', 'E', 'e' or the end of the text"
    assert "found '1'" in error.feedback


def test_rejection_counts_lines_and_columns() -> None:
    lines = Automaton.regex(r"(ab\n)*")
    error = lines.check("ab\nab\naX\n").errors[0]
    assert (error.line, error.column, error.offset) == (3, 2, 7)
    assert error.expected == "'b'"


def test_output_that_stops_early_ends_in_a_non_accepting_state() -> None:
    error = Automaton.regex(JSON_NUMBER).check("1.").errors[0]
    assert error.offset == 2
    assert "ended" in error.message and "non-accepting" in error.message
    assert error.expected == "one of '0'-'9'"


def test_expected_reads_as_any_character_except_for_negated_classes() -> None:
    # Inside the string a quote closes it, so only the backslash is refused.
    error = Automaton.regex(r"\"[^\"\\]*\"").check('"ab\\').errors[0]
    assert error.expected == r"any character except '\\'"
    assert error.offset == 3
    before = Automaton.regex(r"[^\"\\]*!").check('ab"').errors[0]
    assert before.expected == "any character except '\"', '\\\\'"


def test_expected_lists_are_capped() -> None:
    wide = Automaton.regex("[acegikmoqsuwyACEGIKMOQSUWY]")
    assert "more)" in (wide.check("b").errors[0].expected or "")


def test_characters_outside_the_alphabet_are_rejected_not_crashing() -> None:
    digits = Automaton.regex("[0-9]+")
    for hostile in ["1\x00", "1\ud800", "١٢", "1\U0001f600"]:
        verdict = digits.check(hostile)
        assert not verdict.ok
        verdict.feedback().encode("utf-8")  # feedback stays sendable even for a lone surrogate


def test_dot_and_negated_classes_take_any_unicode() -> None:
    anything = Automaton.regex(".*")
    assert anything.accepts("é\x00\ud800日本")
    assert not anything.accepts("a\nb")  # '.' excludes newline, as in Python's re
    assert Automaton.regex("(?s).*").accepts("a\nb")


def test_anchors_at_the_ends_are_accepted_and_mean_nothing_more() -> None:
    anchored = Automaton.regex(r"^ab+$")
    assert anchored.accepts("abb")
    assert not anchored.accepts("abb\n")
    assert Automaton.regex(r"a\$").accepts("a$")  # an escaped dollar stays a character
    assert Automaton.regex(r"\Aab\Z").accepts("ab")


def test_code_point_escapes_are_read_like_python_re() -> None:
    upper = Automaton.regex(r"[\u0041-\u005a]+\u002e")
    assert upper.accepts("AB.")
    assert not upper.accepts("AB,")  # the escaped '.' stays a literal dot
    assert Automaton.regex(r"\\u0041").accepts("\\u0041")  # an escaped backslash, then plain text
    assert Automaton.regex(r"\U0001F600").accepts("\U0001f600")


def test_case_folding_to_several_characters_does_not_break_descriptions() -> None:
    street = Automaton.regex("(?i)straße")
    assert street.accepts("STRAßE") and not street.accepts("STRASSE")  # as re.fullmatch does
    assert street.check("stra").errors[0].expected == "'ß'"


def test_check_refuses_non_text_as_misuse() -> None:
    with pytest.raises(ConfigurationError, match="checks text"):
        Automaton.regex("a").check({"a": 1})


def test_empty_language_rejects_everything_with_a_clear_message() -> None:
    nothing = Automaton.regex("a") & Automaton.regex("b")
    assert nothing.is_empty()
    assert nothing.example() is None
    verdict = nothing.check("a")
    assert not verdict.ok
    assert "accepts no text" in verdict.errors[0].message
    assert not nothing.viable("")


# ------------------------------------------------------------------------------------ construction


@pytest.mark.parametrize(
    ("pattern", "position"),
    [("a(", 1), ("[z-a]", 1), ("ab)", 2), ("x{", 2)],
)
def test_bad_pattern_names_pattern_and_position(pattern: str, position: int) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Automaton.regex(pattern)
    assert repr(pattern) in str(raised.value)
    assert f"position {position}" in str(raised.value)


@pytest.mark.parametrize(
    ("pattern", "feature"), [(r"(a)\1", "Group references"), (r"a\bb", r"\b"), ("a$b", "$")]
)
def test_patterns_beyond_finite_automata_name_the_feature(pattern: str, feature: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Automaton.regex(pattern)
    assert repr(pattern) in str(raised.value)
    assert feature in str(raised.value)


def test_dfa_builder() -> None:
    # Even number of 'a's over {a, b}.
    even_a = Automaton.dfa(
        states=["even", "odd"],
        alphabet="ab",
        transitions={"even": {"a": "odd", "b": "even"}, "odd": {"a": "even", "b": "odd"}},
        start="even",
        accepting=["even"],
    )
    assert even_a.accepts("abba")
    assert not even_a.accepts("ab")
    assert not even_a.accepts("aac")  # 'c' is outside the alphabet
    assert even_a.example() == ""
    assert (~even_a).accepts("aac")
    assert (~even_a).example() == "a"


def test_dfa_other_symbol_stands_for_unlisted_characters() -> None:
    no_digits = Automaton.dfa(
        states=[0], alphabet=["0", "1", OTHER], transitions={0: {OTHER: 0}}, start=0, accepting=[0]
    )
    assert no_digits.accepts("hello, wörld\x00")
    assert not no_digits.accepts("a1")
    assert Automaton.OTHER is OTHER


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": "nowhere"}, "start state 'nowhere'"),
        ({"accepting": ["x"]}, "accepting state 'x'"),
        ({"alphabet": ["ab"]}, "not a single character"),
        ({"transitions": {"q": {"z": "q"}}}, "not in the alphabet"),
        ({"transitions": {"q": {"a": "p"}}}, "goes to 'p', which is not a state"),
        ({"transitions": {"p": {"a": "q"}}}, "from 'p', which is not one of the states"),
    ],
)
def test_dfa_builder_rejects_inconsistent_definitions(kwargs: dict[str, object], message: str) -> None:
    spec: dict[str, object] = {
        "states": ["q"],
        "alphabet": ["a"],
        "transitions": {"q": {"a": "q"}},
        "start": "q",
        "accepting": ["q"],
    }
    spec.update(kwargs)
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        Automaton.dfa(**spec)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- queries and algebra


def test_example_is_a_shortest_accepted_text() -> None:
    assert Automaton.regex(JSON_NUMBER).example() == "0"
    assert Automaton.regex("abc|de|fghi").example() == "de"
    email = Automaton.regex(EMAIL)
    sample = email.example()
    assert sample is not None and email.accepts(sample)
    assert len(sample) == 6  # x@y.zz is as short as the pattern allows


def test_completion_and_residual() -> None:
    number = Automaton.regex(JSON_NUMBER)
    assert number.completion("1.") == "0"
    assert number.completion("1e") == "0"
    assert number.completion("01") is None
    assert number.residual("1.").accepts("25")
    assert not number.residual("1.").accepts("")
    assert number.residual("01").is_empty()


def test_algebra_on_known_languages() -> None:
    three_digits = Automaton.regex("[0-9]{3}")
    number = Automaton.regex(JSON_NUMBER)
    assert (number & three_digits).example() == "100"
    assert (number - Automaton.regex("[0-9]+")).example() == "-0"
    either = number | Automaton.regex("x+")
    assert either.accepts("xx") and either.accepts("12") and not either.accepts("x1")
    assert (~number).accepts("")
    assert (~number).accepts("€")  # complement reaches characters the automaton never mentioned
    assert ((~~number) - number).is_empty() and (number - ~~number).is_empty()


def test_viable_on_prefixes() -> None:
    number = Automaton.regex(JSON_NUMBER)
    assert number.viable("")
    assert number.viable("-")
    assert number.viable("1.")
    assert not number.viable("01")
    assert not number.viable("1..")
    assert not number.viable("x")


def test_viable_resumes_a_growing_prefix_and_still_handles_any_order() -> None:
    number = Automaton.regex(JSON_NUMBER)
    stream = "-12.5e+3"
    assert all(number.viable(stream[:i]) for i in range(len(stream) + 1))
    # Jumping to an unrelated prefix, back to a shorter one, and past a dead point all stay correct.
    assert not number.viable("-12.5e+3x")
    assert not number.viable("-12.5e+3x4")
    assert number.viable("-1")
    assert not number.viable("00")
    assert number.viable("0.")


def test_viable_with_non_text_is_false() -> None:
    assert not Automaton.regex("a").viable(42)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------- properties


@pytest.mark.parametrize(("pattern", "alphabet"), PATTERNS)
@PROPERTY
@given(data=st.data())
def test_strings_generated_from_the_regex_are_accepted(
    pattern: str, alphabet: str, data: st.DataObject
) -> None:
    automaton = _cached(pattern)
    text = data.draw(st.from_regex(re.compile(pattern, re.ASCII), fullmatch=True))
    assert automaton.accepts(text)
    assert automaton.check(text).ok
    # ... and so every prefix of it is viable.
    assert all(automaton.viable(text[:i]) for i in range(len(text) + 1))


@pytest.mark.parametrize(("pattern", "alphabet"), PATTERNS)
@PROPERTY
@given(data=st.data())
def test_agrees_with_python_re_on_random_text(pattern: str, alphabet: str, data: st.DataObject) -> None:
    text = data.draw(text_over(alphabet))
    expected = re.fullmatch(pattern, text, re.ASCII) is not None
    assert _cached(pattern).accepts(text) == expected
    assert _cached(pattern).check(text).ok == expected


@pytest.mark.parametrize(("pattern", "alphabet"), PATTERNS)
@PROPERTY
@given(data=st.data())
def test_viable_is_exact(pattern: str, alphabet: str, data: st.DataObject) -> None:
    automaton = _cached(pattern)
    prefix = data.draw(text_over(alphabet, max_size=8), label="prefix")
    suffix = data.draw(text_over(alphabet, max_size=8), label="suffix")
    if automaton.viable(prefix):
        completion = automaton.completion(prefix)
        assert completion is not None
        assert automaton.accepts(prefix + completion)  # the witness that it was right to say viable
    else:
        assert automaton.completion(prefix) is None
        assert automaton.residual(prefix).example() is None
        assert not automaton.accepts(prefix + suffix)
        sample = automaton.example()
        assert sample is None or not automaton.accepts(prefix + sample)
        error = automaton.check(prefix + suffix).errors[0]
        assert error.offset is not None and error.offset < len(prefix)  # it died inside the prefix


@pytest.mark.parametrize(("pattern", "alphabet"), PATTERNS)
@PROPERTY
@given(data=st.data())
def test_check_reports_the_end_of_the_longest_viable_prefix(
    pattern: str, alphabet: str, data: st.DataObject
) -> None:
    automaton = _cached(pattern)
    text = data.draw(text_over(alphabet))
    verdict = automaton.check(text)
    if verdict.ok:
        return
    longest = max(i for i in range(len(text) + 1) if automaton.viable(text[:i]))
    assert verdict.errors[0].offset == longest


@PROPERTY
@given(
    pair=st.tuples(st.sampled_from(PATTERNS), st.sampled_from(PATTERNS)),
    data=st.data(),
)
def test_algebra_agrees_with_boolean_combinations(
    pair: tuple[tuple[str, str], tuple[str, str]], data: st.DataObject
) -> None:
    (p, alpha_p), (q, alpha_q) = pair
    a, b = _cached(p), _cached(q)
    text = data.draw(text_over(alpha_p + alpha_q))
    in_a, in_b = a.accepts(text), b.accepts(text)
    assert _cached(p, "&", q).accepts(text) == (in_a and in_b)
    assert _cached(p, "|", q).accepts(text) == (in_a or in_b)
    assert _cached(p, "-", q).accepts(text) == (in_a and not in_b)
    assert _cached(p, "~").accepts(text) == (not in_a)


_CACHE: dict[tuple[str, ...], Automaton] = {}


def _cached(pattern: str, op: str = "", other: str = "") -> Automaton:
    """The automata the properties use, built once per session (building is the slow part)."""
    key = (pattern, op, other)
    if key not in _CACHE:
        a = Automaton.regex(pattern)
        if op == "&":
            a = a & _cached(other)
        elif op == "|":
            a = a | _cached(other)
        elif op == "-":
            a = a - _cached(other)
        elif op == "~":
            a = ~a
        _CACHE[key] = a
    return _CACHE[key]
