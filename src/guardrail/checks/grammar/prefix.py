"""Prefix viability for LALR grammars: can some continuation of this text still be accepted?

The prefix is lexed exactly as Lark would lex it, token by token, and each token is fed to the LR
table. Only the end of the prefix is uncertain: its last token may still be growing (``tru`` of
``true``, ``"abc`` of a string, ``12.`` of a number), and which token Lark's lexer picks at a position
can depend on characters not written yet. So at each position we first ask the terminals the lexer
could try there whether the *whole rest* of the prefix is the start of one of their tokens
(``regex``'s ``fullmatch(..., partial=True)``, one call for all of them):

- if none says yes, no token starting here can reach the end of the prefix, so the token Lark reads
  here is decided by the prefix alone (barring lookahead in a terminal's regexp: such grammars do not
  get prefix checks): read it, feed it to the parser, go on. A token the parser rejects, or no token at
  all, means no continuation can help: not viable;
- if one that the parser accepts (or an ignored one, like whitespace or a comment) says yes, the prefix
  is viable: that token can be completed, and an LR parser that has accepted a token sequence can always
  be completed (the viable-prefix property);
- if only tokens the parser rejects could grow to the end, the prefix is viable only if an acceptable
  token ends inside it, and even then only maybe (Lark's lexer might prefer the growing token): we say
  viable, the safe side.

So the answer is never a false "not viable"; a false "viable" needs a terminal the parser rejects to
overlap an acceptable one, at the very end of the prefix, or Lark's lexer to read a continuation
differently from how each terminal alone would.

Checking each prefix of a growing stream from scratch would be quadratic, so the parse at the last
decided token is kept (a few snapshots, for several streams at once) and a later prefix that extends an
earlier one resumes from there. Rereading the last, undecided token on each call would be quadratic too
when that token is long (a 30 KB string arriving a few characters at a time), so the snapshot also keeps
how far each candidate terminal's DFA has read it (``tokens.py``): a call reads only the new characters,
and the regexps are asked once per token, when it ends. A prefix found not viable is remembered as such:
no extension of it is viable either.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import regex

from ..dfa import DEAD
from .lr import LRDriver, Stack, StateLexer, Terminal
from .tokens import REGEX, GrowingToken, TokenFollower

_SNAPSHOTS = 8

# A lone surrogate can never be part of an accepted answer (Grammar.check rejects it outright).
LONE_SURROGATE = regex.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True, eq=False)
class _Snapshot:
    text: str  # a prefix seen before; ``pos`` characters of it are decided
    pos: int
    stack: Stack
    token: GrowingToken | None = None  # the undecided token at ``pos``, read to the end of ``text``
    dead: bool = False  # ``text`` is not viable (nor is any extension of it)


class PrefixChecker:
    """Answers ``viable(prefix)`` for one LALR grammar, resuming from earlier, shorter prefixes."""

    def __init__(self, driver: LRDriver, follower: TokenFollower | None = None):
        self._driver = driver
        self._snapshots: deque[_Snapshot] = deque(maxlen=_SNAPSHOTS)
        self._follower = follower or TokenFollower()
        self._lock = threading.Lock()

    def viable(self, text: str) -> bool:
        snapshot = self._resume_point(text)
        if snapshot.dead:
            return False
        # The snapshot's text was searched before: only the new characters can hold a lone surrogate.
        if LONE_SURROGATE.search(text, len(snapshot.text)) is not None:
            self._remember(_Snapshot(text, snapshot.pos, snapshot.stack, dead=True), snapshot)
            return False
        pos, stack, token = snapshot.pos, snapshot.stack, snapshot.token
        driver = self._driver
        verdict: bool | None = None
        while pos < len(text):
            lexer = driver.state_lexer(stack.state)
            candidates = lexer.candidates
            if token is not None:
                token = self._follower.extend(candidates, token, text)
            elif lexer.may_reach_end(text, pos):  # the common case, a token that ends inside, is one call
                token = self._follower.begin(candidates, text, pos)
            if token is not None:
                token = self._follower.settle(candidates, token, text)
                if any(state != DEAD for state in token.states):
                    verdict = self._judge_last_token(lexer, stack, text, token)
                    break
                if lexer.may_reach_end(text, pos):
                    # The DFAs say the token has ended and the regexps disagree: a DFA narrower than its
                    # regexp (Unicode classes, case folding). From here on this token is read by regexps.
                    token = TokenFollower.settle(
                        candidates, TokenFollower.by_regex(candidates, pos, len(text)), text
                    )
                    verdict = self._judge_last_token(lexer, stack, text, token)
                    break
                token = None
            scanned = driver.scan(lexer, text, pos)
            if scanned is None:
                verdict = False
                break
            name, end = scanned
            if name not in driver.ignored:
                fed = driver.feed(stack, name)
                if fed is None:
                    verdict = False
                    break
                stack = fed
            pos = end
        self._remember(_Snapshot(text, pos, stack, token, dead=verdict is False), snapshot)
        return verdict is not False

    def _judge_last_token(self, lexer: StateLexer, stack: Stack, text: str, token: GrowingToken) -> bool:
        """Viability when a token starting at ``token.start`` may still be growing at the end of the text."""
        driver = self._driver
        pos = token.start

        def usable(term: Terminal) -> bool:
            return term.ignored or driver.feed(stack, term.name) is not None

        candidates = lexer.candidates
        for term, state in zip(candidates, token.states, strict=True):
            if state != DEAD and usable(term):  # a DFA state, or a REGEX candidate that settle() kept
                return True
        # Only tokens the parser rejects can run to the end. A usable token must then end inside the
        # text (a match that ends inside the text does not depend on what follows); if there is none,
        # nothing can be read here. If there is one, Lark's lexer may still prefer the growing token for
        # some continuations and not for others: we cannot tell, so we stay on the safe side.
        for term, state, matched in zip(candidates, token.states, token.matched, strict=True):
            if usable(term) and (matched or (state == REGEX and term.pattern.match(text, pos) is not None)):
                return True
        # About to say "not viable": the regexps, not the DFAs, decide (a DFA may accept less).
        return any(
            usable(t)
            and (
                t.pattern.fullmatch(text, pos, partial=True) is not None
                or t.pattern.match(text, pos) is not None
            )
            for t in candidates
        )

    def _resume_point(self, text: str) -> _Snapshot:
        with self._lock:
            candidates = list(self._snapshots)
        best: _Snapshot | None = None
        for snap in reversed(candidates):  # most recent first: the usual case is the same stream
            if best is not None and len(snap.text) <= len(best.text):
                continue
            # Only a text that extends the *whole* earlier text may resume from it: whether a token was
            # finished was decided by looking at everything after it.
            if text.startswith(snap.text):
                best = snap
        if best is None:
            return _Snapshot("", 0, self._driver.initial())
        return best

    def _remember(self, new: _Snapshot, old: _Snapshot) -> None:
        if new.pos == 0 and new.token is None and not new.dead:
            return
        with self._lock:
            if old in self._snapshots:
                # The same stream moved on: replace its snapshot rather than crowd out other streams.
                self._snapshots.remove(old)
            self._snapshots.append(new)
