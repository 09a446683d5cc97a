"""Finding the answer inside a chatty reply: ``` fences first, then substrings that parse.

Models wrap answers in prose ("Sure! Here is the JSON: {...}. Let me know...") and in Markdown fences.
The search reads the reply once, left to right, and its work stays linear in the reply's length:

- candidate starts are found by one C-level regex search for a character a first token can begin with
  (from the terminals' DFAs), never inside a word;
- a probe of a few characters (``PROBE``) decides whether any first token can be read there at all: most
  candidates in prose ("the" for ``true``) die in the probe and cost nothing more;
- an attempt parses as far as the grammar allows, and the next start comes after everything it read
  (an answer starting inside that stretch would be a piece of what the attempt found);
- a first token that runs on past the probe and then fails (an unterminated string) costs up to the rest
  of the reply; after ``MAX_LONG_FAILURES`` of those, starts whose first token does not end within the
  probe are skipped.

Attempts are capped (``MAX_ATTEMPTS``), and so are the candidates parsed in full afterwards.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import regex

from .lr import LRDriver, Run
from .tokens import TokenFollower

ExtractMode = Literal["longest", "first", "last"]

#: Attempts to parse from a candidate start before the search gives up.
MAX_ATTEMPTS = 256
#: How many characters a probe reads to decide whether a first token can be read at a candidate start.
PROBE = 16
#: First tokens that run on past the probe and then fail, each costing up to the rest of the reply,
#: before the search stops trying such starts.
MAX_LONG_FAILURES = 8

_FENCE = "```"
_TAG = regex.compile(r"[ \t]*[\w+#.-]*[ \t]*\r?\n")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start


def fenced_blocks(text: str) -> Iterator[Span]:
    """The contents of ``` fences, stripped, with and without a first-line language tag.

    An unclosed fence (the model stopped mid-block) runs to the end of the text.
    """
    pos = 0
    while (opening := text.find(_FENCE, pos)) >= 0:
        body_start = opening + len(_FENCE)
        closing = text.find(_FENCE, body_start)
        body_end = len(text) if closing < 0 else closing
        tag = _TAG.match(text, body_start, body_end)
        if tag is not None and tag.end() > body_start:
            yield stripped(text, tag.end(), body_end)
        yield stripped(text, body_start, body_end)
        if closing < 0:
            return
        pos = closing + len(_FENCE)


def stripped(text: str, start: int, end: int) -> Span:
    """``text[start:end]`` without the whitespace around it."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def line_spans(text: str) -> Iterator[Span]:
    """Each non-blank line, stripped (the fallback search for grammars without an LR table)."""
    pos = 0
    for line in text.splitlines(keepends=True):
        span = stripped(text, pos, pos + len(line))
        if len(span):
            yield span
        pos += len(line)


_WORD_CHARACTER = regex.compile(r"[\p{L}\p{N}]")


def _cuts_word_at(text: str, pos: int) -> bool:
    """Whether a span starting or ending at ``pos`` would cut a word ("A" of "Answer", "3" of "3rd")."""
    return (
        0 < pos < len(text)
        and _WORD_CHARACTER.match(text, pos - 1) is not None
        and _WORD_CHARACTER.match(text, pos) is not None
    )


@functools.lru_cache(maxsize=64)
def start_finder(driver: LRDriver, follower: TokenFollower) -> regex.Pattern[str]:
    """One regex that matches, outside a word, a character a first token of the grammar can begin with.

    A terminal without a DFA contributes its whole pattern (slower: each try may read a whole token).
    """
    lexer = driver.state_lexer(driver.start_state)
    firsts: list[str] = []
    for term in lexer.candidates:
        if term.ignored:
            continue
        dfa = follower.dfa(term)
        first = dfa.first_character() if dfa is not None else f"(?:{term.pattern.pattern})"
        if first is not None:
            firsts.append(first)
    if not firsts:
        return regex.compile("(?!)")
    not_inside_a_word = r"(?:(?<![\p{L}\p{N}])|(?![\p{L}\p{N}]))"
    return regex.compile(f"{not_inside_a_word}(?:{'|'.join(firsts)})")


def search(driver: LRDriver, follower: TokenFollower, text: str) -> tuple[list[Span], Run | None]:
    """Substrings of ``text`` that parse (in order of position), and the attempt that got furthest."""
    starts = start_finder(driver, follower)
    first_lexer = driver.state_lexer(driver.start_state)
    found: list[Span] = []
    furthest: Run | None = None
    pos = 0
    attempts = 0
    long_failures = 0
    while attempts < MAX_ATTEMPTS and (m := starts.search(text, pos)) is not None:
        start = m.start()
        probe_end = min(len(text), start + PROBE)
        short = driver.scan(first_lexer, text, start, probe_end) is not None
        runs_on = not short and probe_end < len(text) and first_lexer.may_reach_end(text, start, probe_end)
        if not short and (not runs_on or long_failures >= MAX_LONG_FAILURES):
            pos = start + 1  # no first token can be read here (or only a long one, and we gave up on those)
            continue
        attempts += 1
        attempt = driver.run(text, start)
        if attempt.stopped == start and runs_on:
            long_failures += 1
        end = attempt.accepted_end
        if end is not None and not _cuts_word_at(text, end):
            found.append(Span(start, end))
        if furthest is None or attempt.stopped - attempt.start > furthest.stopped - furthest.start:
            furthest = attempt
        # Nothing that starts inside a stretch already read can be a better answer than what that
        # attempt found (it would be a piece of it), so skip past it.
        pos = max(attempt.stopped, start + 1)
    return found, furthest


def choose(found: list[Span], mode: ExtractMode) -> list[Span]:
    """The found spans in order of preference for ``mode``."""
    if mode == "first":
        return list(found)
    if mode == "last":
        return list(reversed(found))
    return sorted(found, key=lambda s: (-len(s), s.start))
