"""Prefix viability: viable(prefix) is False exactly when no continuation of the prefix can be accepted."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrail.checks.grammar import Grammar

from .grammar_strategies import SHIPPED, mutations, plain_grammar, texts

# -- examples --------------------------------------------------------------------------------------------

JSON_PREFIXES = [
    ("", True),
    ("  ", True),
    ("{", True),
    ('{"na', True),
    ('{"name"', True),
    ('{"name":', True),
    ('{"name": "Bo', True),
    ('{"name": "Bob"}', True),
    ('{"name": "Bob"} ', True),
    ("[tr", True),
    ("[true", True),
    ("[1, 2.", True),  # the fraction is still to come
    ("[1e", True),
    ("[-", True),
    ('"abc\\', True),  # an escape is still to come
    ('"\\u12', True),
    ("[tx", False),
    ("[1 2", False),
    ("{1", False),
    ('{"a" 1', False),
    ("[1,]", False),
    ('{"a": 1} x', False),
    ("01", False),
    ("[1.x", False),
    ('"abc\\q', False),
    ('"\\u12g', False),
    ('"tab\t', False),
    ("[1]]", False),
    ("nul ", False),
]


@pytest.mark.parametrize(("prefix", "expected"), JSON_PREFIXES)
def test_json_prefixes(prefix: str, expected: bool) -> None:
    assert Grammar.from_file("json").viable(prefix) is expected


@pytest.mark.parametrize(
    ("name", "prefix", "expected"),
    [
        ("sexpr", "(define (f x", True),
        ("sexpr", '(display "unfinished', True),
        ("sexpr", "#| open comment (", True),
        ("sexpr", "; comment", True),
        ("sexpr", "#lang racket", True),
        ("sexpr", "(f))", False),
        ("sexpr", "(a b]", False),
        ("sexpr", "(f #", True),
        ("sexpr", "(f #)", False),
        ("number", "-", True),
        ("number", "3.", True),
        ("number", "3.1", True),
        ("number", "3.1.", False),
        ("number", "3 4", False),
        ("number", "1,", False),
        ("yes_no", "Y", True),
        ("yes_no", "ye", True),
        ("yes_no", "yes ", True),
        ("yes_no", "yea", False),
        ("yes_no", "no no", False),
        ("choice_ae", "(", True),
        ("choice_ae", "(B", True),
        ("choice_ae", "(B)", True),
        ("choice_ae", "(F", False),
        ("choice_ae", "B)", False),
        ("tool_call", '{"na', True),
        ("tool_call", '{"name": "f", "arguments": {"x": [1', True),
        ("tool_call", '{"nom', False),
        ("tool_call", '{"name": 1', False),
    ],
)
def test_prefixes_of_the_other_grammars(name: str, prefix: str, expected: bool) -> None:
    assert Grammar.from_file(name).viable(prefix) is expected


def test_prefixes_over_the_length_limit_or_with_lone_surrogates_are_not_viable() -> None:
    grammar = Grammar.from_file("json", max_chars=10)
    assert grammar.viable('"' + "a" * 9)
    assert not grammar.viable('"' + "a" * 10)
    assert not Grammar.from_file("json").viable('["\ud800')


def test_extraction_mode_and_earley_grammars_only_rule_out_over_long_prefixes() -> None:
    assert Grammar.from_file("json", extract=True).viable("Sure, here it comes: ")
    earley = Grammar('start: e\ne: e "+" e | NUMBER\nNUMBER: /[0-9]+/', max_chars=5)
    assert earley.algorithm == "earley"
    assert not earley.judges_prefixes
    assert earley.viable("++")
    assert not earley.viable("1+2+3+")


def test_lookahead_terminals_make_viability_give_up_safely() -> None:
    # Whether /a(?=b)/ has matched depends on the character after it: a prefix cannot decide.
    grammar = Grammar('start: A "b"\nA: /a(?=b)/')
    assert grammar.check("ab").ok
    assert not grammar.judges_prefixes
    assert grammar.viable("x")


# -- exactness on small grammars, by brute force ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "alphabet"),
    [("yes_no", "yesno "), ("choice_ae", "(AF) "), ("number", "1.- x")],
)
def test_viable_is_exact_on_small_grammars(name: str, alphabet: str) -> None:
    grammar = plain_grammar(name)
    completions = ["".join(c) for n in range(3) for c in itertools.product(alphabet, repeat=n)]
    for n in range(4):
        for letters in itertools.product(alphabet, repeat=n):
            prefix = "".join(letters)
            completable = any(grammar.check(prefix + c).ok for c in completions)
            assert grammar.viable(prefix) is completable, prefix


# -- streams: resuming from earlier prefixes gives the same answers as starting afresh ------------------


def _fresh(name: str) -> Grammar:
    # A new Grammar has its own, empty snapshot cache (the compiled parser is shared).
    return Grammar.from_file(name)


def test_a_stream_checked_prefix_by_prefix_agrees_with_fresh_checks() -> None:
    document = json.dumps({"users": [{"name": 'Ann "A" é', "age": 31, "score": -1.5e-3, "tags": ["x"]}]})
    broken = document[:40] + "}" + document[40:]
    streaming = Grammar.from_file("json")
    for text in (document, broken):
        for i in range(len(text) + 1):
            assert streaming.viable(text[:i]) is _fresh("json").viable(text[:i]), text[:i]


def test_interleaved_streams_and_rewritten_prefixes_do_not_confuse_the_cache() -> None:
    one = '{"a": [1, 2, 3], "b": "text"}'
    two = '[true, false, "x", {"k": null}]'
    grammar = Grammar.from_file("json")
    for i in range(max(len(one), len(two)) + 1):
        for text in (one[:i], two[:i]):
            assert grammar.viable(text) is _fresh("json").viable(text)
    # Same start, then a different ending: the cached parse of the shared part must not leak.
    assert grammar.viable('{"a": [1, 2')
    assert not grammar.viable('{"a": [1 2')
    assert grammar.viable('{"a": [1, 2]')


# -- properties over generated texts ---------------------------------------------------------------------

# from_lark picks each rule's expansion uniformly, so for grammars with long chains of recursive rules
# (python_expr) most attempts grow until they overrun hypothesis's buffer and are discarded (the health
# checks count that as filtering): a kept text costs over a second there, so those grammars get fewer
# examples and fewer samples each (tool_call's nested JSON texts are long, so fewer samples too).
_EXAMPLES = {"python_expr": 3}
_SAMPLES = {"python_expr": 1, "tool_call": 2}
_GENERATION_IS_SLOW = [HealthCheck.filter_too_much, HealthCheck.too_slow]


def _for_generated_texts(name: str, prop: Callable[[Grammar, st.DataObject], None]) -> None:
    @settings(max_examples=_EXAMPLES.get(name, 30), deadline=None, suppress_health_check=_GENERATION_IS_SLOW)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        prop(plain_grammar(name), data)

    run()


@pytest.mark.parametrize("name", SHIPPED)
def test_generated_texts_are_accepted_and_all_their_prefixes_are_viable(name: str) -> None:
    def prop(grammar: Grammar, data: st.DataObject) -> None:
        text = data.draw(texts(name))
        assert grammar.check(text).ok, (text, grammar.check(text).feedback())
        for i in range(len(text) + 1):
            assert grammar.viable(text[:i]), text[:i]

    _for_generated_texts(name, prop)


_CLOSERS = ["", '"', "]", "}", ")", '"}', '"]', "]}", "0", "0]", "0}", '":0}', "e)", " yes", " A"]


@pytest.mark.parametrize("name", SHIPPED)
def test_viable_agrees_with_the_parser_on_mutated_texts(name: str) -> None:
    def prop(grammar: Grammar, data: st.DataObject) -> None:
        samples = data.draw(st.lists(texts(name), min_size=1, max_size=_SAMPLES.get(name, 3)))
        mutated = data.draw(mutations(samples[0]))
        # Candidate completions: suffixes of the samples, of the mutated text, and a few closers.
        suffixes = sorted({s[k:] for s in samples for k in range(len(s) + 1)}, key=len)
        completions = set(suffixes[:: max(1, len(suffixes) // 40)])
        completions |= {mutated[i:] for i in range(len(mutated) + 1)} | set(_CLOSERS)
        for i in range(len(mutated) + 1):
            prefix = mutated[:i]
            if not grammar.viable(prefix):
                for completion in completions:
                    assert not grammar.check(prefix + completion).ok, (prefix, completion)
                break
        if grammar.check(mutated).ok:
            assert all(grammar.viable(mutated[:i]) for i in range(len(mutated) + 1))

    _for_generated_texts(name, prop)


# -- terminals whose DFA reads less than their regexp ------------------------------------------------------


@pytest.mark.parametrize(
    ("grammar", "text", "dead_from"),
    [
        # interegular reads \d as [0-9]; the regex module reads Arabic-Indic digits as digits too.
        ('start: NUM+\nNUM: /\\d+/\n%ignore " "', "12 \u0661\u0662\u0663\u0664 45 x", 12),
        # Case folding: the long s and the Kelvin sign fold to s and k under the regex module.
        ('start: WORD+\nWORD: /[a-z]+/i\n%ignore " "', "abc \u017f\u212a\u017f 1", 9),
    ],
)
def test_a_dfa_narrower_than_its_regexp_never_makes_a_prefix_dead(
    grammar: str, text: str, dead_from: int
) -> None:
    # The DFAs that follow growing tokens come from interegular, whose character classes can be narrower
    # than the regex module's: a token the DFA gives up on is read by the regexp instead.
    streaming = Grammar(grammar)
    answers = [streaming.viable(text[:end]) for end in range(len(text) + 1)]
    assert answers == [end < dead_from for end in range(len(text) + 1)]
    assert Grammar(grammar).check(text[: dead_from - 2]).ok
