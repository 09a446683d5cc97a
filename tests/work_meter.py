"""A deterministic measure of the work a check does, for tests that a check is linear (no clocks).

Work is counted in two currencies that add up:

- Python: each line executed (``sys.settrace``), in any module but this one;
- regexps: the characters a regex engine must read to answer each call made through a pattern the meter
  watches. A call that matches (or matches partially, up to ``endpos``) reads up to where the match
  ends; one that fails reads the longest prefix that could still begin a match (found by galloping with
  partial matches), plus one character; a search adds that up over every start it tries.

Patterns are watched when they are compiled with ``regex.compile`` inside ``watching()`` or
``measure()``, or when they are module-level patterns of the modules given to ``WorkMeter`` (during
``measure()``). Build the check and warm it up inside ``watching()``, then ``measure()`` only the calls
of interest. The figures are a model, not a stopwatch:
they are the same on every run, and they grow the way the real work does, which is what a test of
linearity needs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, ModuleType
from typing import Any

import pytest
import regex

_REAL_COMPILE = regex.compile
_THIS_FILE = __file__


class WorkMeter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, *modules: ModuleType):
        self.lines = 0
        self.regex_chars = 0
        self._monkeypatch = monkeypatch
        self._modules = modules
        self._paused = False

    @property
    def work(self) -> int:
        return self.lines + self.regex_chars

    @contextmanager
    def watching(self) -> Iterator[WorkMeter]:
        """Watch the patterns compiled inside (they report to this meter for good), and the module-level
        patterns of the meter's modules while inside; count nothing yet."""
        with self._monkeypatch.context() as patch:
            patch.setattr(regex, "compile", self._compile)
            for module in self._modules:
                for name, value in vars(module).items():
                    if isinstance(value, regex.Pattern):
                        patch.setattr(module, name, _Watched(value, self))
            self._paused = True
            try:
                yield self
            finally:
                self._paused = False

    def measure(self, fn: Any, *args: Any) -> int:
        """The work ``fn(*args)`` does."""
        before = self.work
        with self.watching():
            self._paused = False
            previous = sys.gettrace()
            sys.settrace(self._trace)
            try:
                fn(*args)
            finally:
                sys.settrace(previous)
        return self.work - before

    def _compile(self, pattern: Any, flags: int = 0, *args: Any, **kwargs: Any) -> Any:
        return _Watched(_REAL_COMPILE(pattern, flags, *args, **kwargs), self)

    def _trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == _THIS_FILE:
            return None
        return self._count_line

    def _count_line(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and not self._paused:
            self.lines += 1
        return self._count_line


class _Watched:
    """A compiled pattern that reports what its calls read to a meter."""

    def __init__(self, pattern: regex.Pattern[str], meter: WorkMeter):
        self._pattern = pattern
        self._meter = meter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)

    def match(self, string: str, pos: int = 0, endpos: int | None = None, **kwargs: Any) -> Any:
        found = self._pattern.match(string, pos, endpos, **kwargs)
        if not self._meter._paused:
            self._meter.regex_chars += self._read(found, string, pos, endpos)
        return found

    def fullmatch(self, string: str, pos: int = 0, endpos: int | None = None, **kwargs: Any) -> Any:
        found = self._pattern.fullmatch(string, pos, endpos, **kwargs)
        if not self._meter._paused:
            self._meter.regex_chars += self._read(found, string, pos, endpos)
        return found

    def search(self, string: str, pos: int = 0, endpos: int | None = None, **kwargs: Any) -> Any:
        found = self._pattern.search(string, pos, endpos, **kwargs)
        if self._meter._paused:
            return found
        stop = len(string) if endpos is None else min(endpos, len(string))
        last = found.start() if found is not None else stop
        total = sum(self._fit(string, p, stop) + 1 for p in range(pos, last))
        if found is not None:
            total += self._read(found, string, found.start(), endpos)
        self._meter.regex_chars += total
        return found

    def _read(self, found: Any, string: str, pos: int, endpos: int | None) -> int:
        stop = len(string) if endpos is None else min(endpos, len(string))
        if found is not None and getattr(found, "partial", False):
            return stop - pos + 1
        if found is not None:
            return found.end() - pos + 1
        return self._fit(string, pos, stop) + 1

    def _fit(self, string: str, pos: int, stop: int) -> int:
        """How many characters from ``pos`` can begin a match (monotone, so: gallop, then bisect)."""

        def fits(length: int) -> bool:
            return self._pattern.fullmatch(string, pos, pos + length, partial=True) is not None

        if stop <= pos or not fits(1):
            return 0
        low, high = 1, 2
        while pos + high <= stop and fits(high):
            low, high = high, high * 2
        high = min(high, stop - pos + 1)
        while high - low > 1:
            middle = (low + high) // 2
            if fits(middle):
                low = middle
            else:
                high = middle
        return low
