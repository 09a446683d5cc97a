"""The checks package's layout: the grammar modules live in ``checks/grammar/``; their old flat paths still
work for one release, with a DeprecationWarning; ``guardrail.checks`` exports what users need only."""

from __future__ import annotations

import importlib
import sys
import warnings

import pytest

import guardrail.checks
from guardrail.checks import Check

MOVED = {
    "guardrail.checks.grammar_lr": ("guardrail.checks.grammar.lr", "LRDriver"),
    "guardrail.checks.grammar_prefix": ("guardrail.checks.grammar.prefix", "PrefixChecker"),
    "guardrail.checks.grammar_earley": ("guardrail.checks.grammar.earley", "parse_bounded"),
    "guardrail.checks.grammar_errors": ("guardrail.checks.grammar.errors", "lalr_syntax_error"),
    "guardrail.checks.grammar_extract": ("guardrail.checks.grammar.extract", "fenced_blocks"),
    "guardrail.checks.grammar_tree": ("guardrail.checks.grammar.tree", "subtree_deeper_than"),
    "guardrail.checks.grammar_values": ("guardrail.checks.grammar.values", "JsonValue"),
}


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_grammar_module_path_still_works_and_warns(old: str) -> None:
    new, name = MOVED[old]
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated; import from {new}"):
        module = importlib.import_module(old)
    assert getattr(module, name) is getattr(importlib.import_module(new), name)


def test_the_grammar_package_is_the_old_grammar_module() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        from guardrail.checks.grammar import SHIPPED, Grammar
        from guardrail.checks.grammar.check import Grammar as Defined
    assert Grammar is Defined and Grammar is guardrail.checks.Grammar
    assert Grammar.from_file("json", transformer=SHIPPED).check("[1]").value == [1]


def test_the_package_exports_checks_and_their_results_not_internals() -> None:
    exported = {name: getattr(guardrail.checks, name) for name in guardrail.checks.__all__}
    not_checks = {
        name for name, obj in exported.items() if not (isinstance(obj, type) and issubclass(obj, Check))
    }
    assert not_checks == {"ErrorDetail", "Tool", "ValidatedCall", "Verdict"}
    assert {"Grammar", "Schema", "JSONSchema", "ToolCalls", "Automaton", "Predicate", "Pipeline"} <= set(
        exported
    )
    assert {"ExactAnswer", "NumericAnswer", "LabelAnswer", "PassesTests"} <= set(exported)
