"""Finding the answer inside a chatty reply: ``` fences first, then substrings that parse.

Models wrap answers in prose ("Sure! Here is the JSON: {...}. Let me know...") and in Markdown fences.
The search is bounded: it only starts where a token the grammar can begin with matches (found by one
C-level regex search, not by trying every position), never starts inside a stretch an earlier attempt
already read, and gives up after a fixed number of attempts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import regex

from .lr import LRDriver, Run

ExtractMode = Literal["longest", "first", "last"]

MAX_ATTEMPTS = 256

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


def _cuts_word_at(text: str, pos: int) -> bool:
    """Whether a span starting or ending at ``pos`` would cut a word ("A" of "Answer", "3" of "3rd")."""
    return 0 < pos < len(text) and text[pos - 1].isalnum() and text[pos].isalnum()


def search(driver: LRDriver, text: str) -> tuple[list[Span], Run | None]:
    """Substrings of ``text`` that parse (in order of position), and the attempt that got furthest."""
    starts = driver.start_finder()
    found: list[Span] = []
    furthest: Run | None = None
    pos = 0
    attempts = 0
    while attempts < MAX_ATTEMPTS and (m := starts.search(text, pos)) is not None:
        start = m.start()
        if _cuts_word_at(text, start):
            pos = start + 1
            continue
        attempts += 1
        attempt = driver.run(text, start)
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
