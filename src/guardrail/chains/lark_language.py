"""What a Lark grammar's language looks like to the verifier.

Three facts, read off the compiled grammar (its rules after Lark's inlining, its terminals' regular
expressions, its ``%ignore`` terminals):

* a *regular superset* of the accepted texts, when no rule is recursive: every accepted text is a sequence
  of tokens, each matching its terminal, with ignored tokens in between, in an order the rules derive. So
  the regular expression ``I* t1 I* t2 I* ...`` (one alternative per derivation) accepts a superset;
* the *finite set of values*, when moreover every terminal matches finitely many texts: each token sequence
  is written out, parsed by the grammar check itself (which must read back the same tokens), and its value
  kept. The value depends only on the token sequence, so these are all the values there are;
* a *shortest sentence*, for any grammar: a shortest derivation with a shortest text for each terminal.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import interegular
from lark import Token, Tree

from ..checks.automaton import Automaton
from ..checks.grammar import Grammar
from ..errors import ConfigurationError
from .languages import finite_texts

__all__ = ["GrammarFacts", "grammar_facts"]

#: Longest regular expression built for a grammar (non-recursive grammars can still blow up when inlined).
_MAX_PATTERN = 20_000


@dataclass(frozen=True)
class GrammarFacts:
    recursive_rule: str | None  # a rule that refers back to itself, if any
    language: Automaton | None  # a regular superset of the accepted texts
    language_note: str
    values: list[tuple[Any, str]] | None  # every value with a text that yields it, when finite
    values_note: str
    shortest: str | None  # a short text the grammar accepts


@dataclass(frozen=True)
class _Symbol:
    name: str
    terminal: bool
    filtered: bool  # a token Lark leaves out of the tree (anonymous punctuation, names starting with '_')


def grammar_facts(grammar: Grammar, limit: int) -> GrammarFacts:
    rules, terminals, ignored = _read(grammar)
    repeats = _repetitions(rules)
    start = grammar.start
    recursive = _recursive_rule(rules, repeats, start)
    terminal_texts = {name: _terminal_texts(pattern, limit) for name, pattern in terminals.items()}
    separator = _separator(ignored, terminals)

    language: Automaton | None = None
    if recursive is not None:
        language_note = f"{_rule_name(recursive)} refers back to itself, so the language is not regular"
    else:
        pattern = _pattern(rules, repeats, terminals, ignored, start)
        if pattern is None:
            language_note = "the grammar's regular expression would be too large"
        else:
            try:
                language = Automaton.regex(pattern, name=f"{grammar.name} (regular superset)")
                language_note = "a regular superset built from the grammar's rules and terminals"
            except ConfigurationError as e:
                language_note = f"a terminal's regular expression is beyond a finite automaton ({e})"

    values: list[tuple[Any, str]] | None = None
    if recursive is not None:
        values_note = f"{_rule_name(recursive)} refers back to itself: infinitely many parse trees"
    else:
        infinite = sorted(
            n for n, texts in terminal_texts.items() if texts is None and _used(rules, start, n)
        )
        if infinite:
            values_note = f"terminal {infinite[0]} matches infinitely many (or over {limit}) texts"
        else:
            values, values_note = _finite_values(
                grammar, rules, repeats, terminal_texts, separator, start, limit
            )

    shortest = _shortest(grammar, rules, terminals, separator, start)
    return GrammarFacts(recursive, language, language_note, values, values_note, shortest)


# -- reading the compiled grammar ---------------------------------------------------------------------


def _read(grammar: Grammar) -> tuple[dict[str, list[list[_Symbol]]], dict[str, str], list[str]]:
    lark = grammar.lark
    rules: dict[str, list[list[_Symbol]]] = {}
    for rule in lark.rules:
        expansion = [
            _Symbol(
                str(s.name), bool(s.is_term), bool(getattr(s, "filter_out", False)) or s.name.startswith("_")
            )
            for s in rule.expansion
        ]
        rules.setdefault(str(rule.origin.name), []).append(expansion)
    terminals = {str(t.name): t.pattern.to_regexp() for t in lark.terminals}
    ignored = [str(name) for name in lark.ignore_tokens]
    return rules, terminals, ignored


_REPETITION = re.compile(r"__(\w+?)_(plus|star)_\d+")


def _repetitions(rules: dict[str, list[list[_Symbol]]]) -> dict[str, list[_Symbol]]:
    """Lark's helper rules for ``x+`` (``__r_plus_0: x | __r_plus_0 x``): name -> the repeated part."""
    found: dict[str, list[_Symbol]] = {}
    for name, expansions in rules.items():
        if not _REPETITION.fullmatch(name) or len(expansions) != 2:
            continue
        once, again = sorted(expansions, key=len)
        head = again[0] if again else None
        if head is not None and head.name == name and not head.terminal and again[1:] == once:
            found[name] = once
    return found


def _rule_name(name: str) -> str:
    match = _REPETITION.fullmatch(name)
    return f"a repetition in rule {match.group(1)!r}" if match else f"rule {name!r}"


def _recursive_rule(
    rules: dict[str, list[list[_Symbol]]], repeats: dict[str, list[_Symbol]], start: str
) -> str | None:
    """A rule on a cycle of references reachable from ``start`` (preferring a rule the grammar names over
    Lark's helpers), or None. Lark's helpers for ``x+`` loop onto themselves but are not recursion."""
    path: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> str | None:
        path.append(name)
        for expansion in [repeats[name]] if name in repeats else rules.get(name, []):
            for s in expansion:
                if s.terminal or s.name in done:
                    continue
                if s.name in path:
                    cycle = path[path.index(s.name) :]
                    return next((n for n in cycle if not n.startswith("__")), cycle[0])
                found = visit(s.name)
                if found is not None:
                    return found
        path.pop()
        done.add(name)
        return None

    return visit(start)


def _used(rules: dict[str, list[list[_Symbol]]], start: str, terminal: str) -> bool:
    seen: set[str] = set()
    pending = [start]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for expansion in rules.get(name, []):
            for s in expansion:
                if s.terminal and s.name == terminal:
                    return True
                if not s.terminal:
                    pending.append(s.name)
    return False


@functools.lru_cache(maxsize=256)
def _terminal_fsm(pattern: str) -> Any:
    try:
        return interegular.parse_pattern(pattern).to_fsm()
    except Exception:  # interegular cannot read it (lookarounds, backreferences): unknown language
        return None


def _terminal_texts(pattern: str, limit: int) -> list[str] | None:
    fsm = _terminal_fsm(pattern)
    return None if fsm is None else finite_texts(fsm, limit)


def _shortest_terminal_text(pattern: str) -> str | None:
    try:
        return Automaton.regex(pattern).example()
    except ConfigurationError:
        return None


def _separator(ignored: list[str], terminals: dict[str, str]) -> str:
    """What to write between tokens: a space when the grammar ignores spaces, else nothing."""
    for name in ignored:
        fsm = _terminal_fsm(terminals.get(name, ""))
        if fsm is not None and fsm.accepts(" "):
            return " "
    return ""


# -- the regular superset ------------------------------------------------------------------------------


def _pattern(
    rules: dict[str, list[list[_Symbol]]],
    repeats: dict[str, list[_Symbol]],
    terminals: dict[str, str],
    ignored: list[str],
    start: str,
) -> str | None:
    gap = ""
    if ignored:
        gap = "(?:" + "|".join(f"(?:{terminals[n]})" for n in ignored if n in terminals) + ")*"
    memo: dict[str, str] = {}

    def sequence(expansion: list[_Symbol]) -> str:
        return "".join(f"(?:{terminals[s.name]}){gap}" if s.terminal else expand(s.name) for s in expansion)

    def expand(name: str) -> str:
        if name not in memo:
            if name in repeats:
                memo[name] = "(?:" + sequence(repeats[name]) + ")+"
            else:
                memo[name] = "(?:" + "|".join(sequence(e) for e in rules.get(name, [])) + ")"
        return memo[name]

    body = gap + expand(start)
    return body if len(body) <= _MAX_PATTERN else None


# -- finite values -------------------------------------------------------------------------------------


_Token = tuple[str, str, bool]  # type, text, left out of the tree


def _sequences(
    rules: dict[str, list[list[_Symbol]]],
    repeats: dict[str, list[_Symbol]],
    texts: dict[str, list[str] | None],
    name: str,
    limit: int,
) -> list[list[_Token]] | None:
    """Every token sequence the rule ``name`` derives, or None when there are over ``limit``."""
    if name in repeats:
        return None  # a repetition derives unboundedly many sequences
    out: list[list[_Token]] = []
    for expansion in rules.get(name, []):
        parts: list[list[list[_Token]]] = []
        for s in expansion:
            if s.terminal:
                options = texts.get(s.name)
                if options is None:
                    return None
                parts.append([[(s.name, t, s.filtered)] for t in options])
            else:
                sub = _sequences(rules, repeats, texts, s.name, limit)
                if sub is None:
                    return None
                parts.append(sub)
        for combination in itertools.product(*parts):
            out.append([token for piece in combination for token in piece])
            if len(out) > limit:
                return None
    return out


def _finite_values(
    grammar: Grammar,
    rules: dict[str, list[list[_Symbol]]],
    repeats: dict[str, list[_Symbol]],
    texts: dict[str, list[str] | None],
    separator: str,
    start: str,
    limit: int,
) -> tuple[list[tuple[Any, str]] | None, str]:
    sequences = _sequences(rules, repeats, texts, start, limit)
    if sequences is None:
        return None, f"more than {limit} token sequences (or a repetition)"
    values: list[tuple[Any, str]] = []
    for sequence in sequences:
        text = separator.join(t for _, t, _ in sequence)
        verdict = grammar.check(text)
        if not verdict.ok:
            if _tokens_read_back(grammar, text, sequence):
                continue  # it parses but the transformer refuses it: no value comes from this sequence
            return None, f"could not confirm the values: the grammar reads {text!r} differently"
        if not _tokens_read_back(grammar, text, sequence):
            return None, f"could not confirm the values: the grammar reads {text!r} differently"
        seen = next((i for i, (v, _) in enumerate(values) if _same(verdict.value, v)), None)
        if seen is None:
            values.append((verdict.value, text))
        elif text.islower() and not values[seen][1].islower():
            values[seen] = (verdict.value, text)  # "yes" reads better than "YES" in a counterexample
    return values, f"{len(values)} values from {len(sequences)} token sequences"


def _tokens_read_back(grammar: Grammar, text: str, sequence: list[_Token]) -> bool:
    """Whether parsing ``text`` yields the tokens of ``sequence`` (those the tree keeps)."""
    try:
        tree = grammar.lark.parse(text, start=grammar.start)
    except Exception:  # any failure to parse means: not read back
        return False
    kept = [(str(t.type), str(t)) for t in _tokens(tree)]
    return kept == [(kind, t) for kind, t, filtered in sequence if not filtered]


def _tokens(tree: Any) -> Iterator[Token]:
    pending: list[Any] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, Token):
            yield node
        elif isinstance(node, Tree):
            pending.extend(reversed(node.children))


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


# -- a shortest sentence -------------------------------------------------------------------------------


def _shortest(
    grammar: Grammar,
    rules: dict[str, list[list[_Symbol]]],
    terminals: dict[str, str],
    separator: str,
    start: str,
) -> str | None:
    terminal_text = {name: _shortest_terminal_text(p) for name, p in terminals.items()}
    best: dict[str, list[str]] = {}
    changed = True
    while changed:  # Bellman-Ford style: shorter derivations until nothing improves
        changed = False
        for name, expansions in rules.items():
            for expansion in expansions:
                tokens: list[str] = []
                for s in expansion:
                    piece = [terminal_text.get(s.name)] if s.terminal else best.get(s.name)
                    if piece is None or None in piece:
                        break
                    tokens.extend(t for t in piece if t is not None)
                else:
                    if name not in best or _size(tokens) < _size(best[name]):
                        best[name] = tokens
                        changed = True
    found = best.get(start)
    if found is None:
        return None
    for sep in dict.fromkeys((separator, " ", "")):
        text = sep.join(found)
        if grammar.check(text).ok:
            return text
    return None


def _size(tokens: list[str]) -> tuple[int, int]:
    return sum(len(t) for t in tokens), len(tokens)
