"""Earley parsing with a deadline.

An LALR parse is linear, but an Earley parse can take cubic time, and longer still to pick one tree from a
highly ambiguous parse forest: with ``e: e "+" e``, 400 characters take about half a minute. A hostile
output must get its verdict in bounded time, and Python cannot interrupt a running parse, so the parse
runs in a forked child process that is killed at the deadline. Forking costs about 10 ms, which only
grammars that need Earley pay. Where ``fork`` is not available (Windows) the parse runs in-process, bounded
only by the length limit.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from lark import Lark, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .lr import END
from .tree import start_of, subtree_deeper_than

_FORK = "fork" in multiprocessing.get_all_start_methods()


@dataclass(frozen=True, slots=True)
class Parsed:
    tree: Tree[Any]


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """Where the parse failed (offset in the parsed text), what was there (None: the end), what would fit,
    and whether what was there is a whole token (else a character no token can begin with)."""

    offset: int
    found: str | None
    expected: frozenset[str]
    whole_token: bool = False


@dataclass(frozen=True, slots=True)
class TooDeep:
    offset: int


@dataclass(frozen=True, slots=True)
class TimedOut:
    seconds: float


Outcome = Parsed | ParseFailure | TooDeep | TimedOut


def parse_bounded(lark: Lark, text: str, start: str, max_depth: int, timeout: float | None) -> Outcome:
    """Parse ``text``; give up after ``timeout`` seconds (None: no deadline)."""
    if timeout is None or not _FORK:
        return parse_here(lark, text, start, max_depth)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    # With fork the child inherits the parser: nothing but the outcome crosses the pipe.
    child = context.Process(target=_child, args=(sender, lark, text, start, max_depth), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            return TimedOut(timeout)
        outcome: Outcome = receiver.recv()
        return outcome
    except EOFError:  # the child died without an answer (out of memory, killed)
        return TimedOut(timeout)
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()


def _child(sender: Connection, lark: Lark, text: str, start: str, max_depth: int) -> None:
    outcome = parse_here(lark, text, start, max_depth)
    try:
        sender.send(outcome)
    except RecursionError:  # cannot happen below max_depth, but a failed send must not hang the parent
        sender.send(TooDeep(0))
    finally:
        sender.close()


def parse_here(lark: Lark, text: str, start: str, max_depth: int) -> Outcome:
    """Parse in this process (no deadline)."""
    try:
        tree = lark.parse(text, start=start)
    except UnexpectedInput as e:
        return _failure(e, text)
    except RecursionError:
        return TooDeep(0)
    deep = subtree_deeper_than(tree, max_depth)
    if deep is not None:
        return TooDeep(start_of(deep) or 0)
    return Parsed(tree)


def _failure(e: UnexpectedInput, text: str) -> ParseFailure:
    names: set[str] = set()
    for attr in ("expected", "allowed"):
        got = getattr(e, attr, None)
        if got:
            names = {str(getattr(n, "name", n)) for n in got}
            break
    if isinstance(e, UnexpectedToken) and e.token.type != END:
        offset = e.token.start_pos if isinstance(e.token.start_pos, int) else 0
        return ParseFailure(offset, str(e.token), frozenset(names), whole_token=True)
    pos = e.pos_in_stream
    if isinstance(e, UnexpectedCharacters) and pos is not None and pos < len(text):
        return ParseFailure(pos, text[pos], frozenset(names))
    return ParseFailure(len(text), None, frozenset(names - {END}))
