"""A tiny interpreter for a subset of Racket, run *inside* guardrail's sandbox by ``racket_tests.py``.

This is not Racket: no real Racket is installed here, and running one on model-written code outside the
sandbox would not be contained (the sandbox runs Python only). It reads ``solution.rkt`` (the model's
code) and ``tests.rkt`` (``(check-equal? actual expected)`` forms) from its working directory, evaluates
them, prints one line per test and exits with status 1 if any test fails.

The subset: numbers (integers and decimals), strings, ``#t``/``#f``, ``define`` (values and functions),
``lambda``, ``if``, ``cond`` (with ``else``), ``let``, ``let*``, ``and``, ``or``, ``when``, ``unless``,
``begin``, ``quote``/``'``, and the builtins listed in ``BUILTINS``. Model code is only ever *interpreted*
by this evaluator; nothing it contains is handed to Python's ``eval``.
"""

from __future__ import annotations

import itertools
import operator
import re
import sys
from collections.abc import Callable
from functools import reduce
from pathlib import Path
from typing import Any

sys.setrecursionlimit(20_000)

_TOKEN = re.compile(r'\s+|;[^\n]*|#\|.*?\|#|"(?:[^"\\]|\\.)*"|[()\[\]{}]|\'|[^\s()\[\]{}";\']+', re.S)


class Symbol(str):
    """A Racket symbol (a name), as opposed to a string literal."""


class RacketError(Exception):
    pass


def tokenize(source: str) -> list[str]:
    source = re.sub(r"\A#lang[^\n]*\n", "", source)
    tokens: list[str] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise RacketError(f"cannot read the program at offset {position}")
        token = match.group()
        position = match.end()
        if not token.isspace() and not token.startswith(";") and not token.startswith("#|"):
            tokens.append(token)
    return tokens


def read_all(source: str) -> list[Any]:
    tokens = tokenize(source)
    forms: list[Any] = []
    index = 0
    while index < len(tokens):
        form, index = _read(tokens, index)
        forms.append(form)
    return forms


def _read(tokens: list[str], index: int) -> tuple[Any, int]:
    token = tokens[index]
    if token in ("(", "[", "{"):
        items: list[Any] = []
        index += 1
        while index < len(tokens) and tokens[index] not in (")", "]", "}"):
            item, index = _read(tokens, index)
            items.append(item)
        if index >= len(tokens):
            raise RacketError("a list is not closed")
        return items, index + 1
    if token in (")", "]", "}"):
        raise RacketError(f"unexpected {token!r}")
    if token == "'":
        quoted, index = _read(tokens, index + 1)
        return [Symbol("quote"), quoted], index
    return _atom(token), index + 1


def _atom(token: str) -> Any:
    if token.startswith('"'):
        return token[1:-1].encode("utf-8").decode("unicode_escape")
    if token in ("#t", "#true"):
        return True
    if token in ("#f", "#false"):
        return False
    try:
        return int(token)
    except ValueError:
        pass
    try:
        return float(token)
    except ValueError:
        return Symbol(token)


class Closure:
    def __init__(self, params: list[Symbol], body: list[Any], env: Env):
        self.params, self.body, self.env = params, body, env

    def __call__(self, *args: Any) -> Any:
        if len(args) != len(self.params):
            raise RacketError(f"expected {len(self.params)} arguments, got {len(args)}")
        env = Env(dict(zip(self.params, args, strict=True)), self.env)
        result: Any = None
        for form in self.body:
            result = evaluate(form, env)
        return result


class Env:
    def __init__(self, names: dict[str, Any], outer: Env | None = None):
        self.names, self.outer = names, outer

    def find(self, name: str) -> Env:
        env: Env | None = self
        while env is not None:
            if name in env.names:
                return env
            env = env.outer
        raise RacketError(f"{name}: undefined")


def _arith(fn: Callable[[Any, Any], Any], unit: Any) -> Callable[..., Any]:
    return lambda *xs: reduce(fn, xs) if xs else unit


def _minus(*xs: Any) -> Any:
    return -xs[0] if len(xs) == 1 else reduce(operator.sub, xs)


def _compare(fn: Callable[[Any, Any], bool]) -> Callable[..., bool]:
    return lambda *xs: all(fn(a, b) for a, b in itertools.pairwise(xs))


BUILTINS: dict[str, Any] = {
    "+": _arith(operator.add, 0),
    "*": _arith(operator.mul, 1),
    "-": _minus,
    "/": lambda a, b: a // b if isinstance(a, int) and isinstance(b, int) and a % b == 0 else a / b,
    "quotient": lambda a, b: int(a / b),
    "remainder": lambda a, b: a - b * int(a / b),
    "modulo": operator.mod,
    "=": _compare(operator.eq),
    "<": _compare(operator.lt),
    ">": _compare(operator.gt),
    "<=": _compare(operator.le),
    ">=": _compare(operator.ge),
    "abs": abs,
    "min": min,
    "max": max,
    "not": lambda x: x is False,
    "zero?": lambda x: x == 0,
    "positive?": lambda x: x > 0,
    "negative?": lambda x: x < 0,
    "even?": lambda x: x % 2 == 0,
    "odd?": lambda x: x % 2 == 1,
    "cons": lambda a, b: [a, *b],
    "car": lambda xs: xs[0],
    "cdr": lambda xs: xs[1:],
    "first": lambda xs: xs[0],
    "rest": lambda xs: xs[1:],
    "list": lambda *xs: list(xs),
    "null?": lambda xs: xs == [],
    "empty?": lambda xs: xs == [],
    "null": [],
    "empty": [],
    "length": len,
    "append": lambda *xss: [x for xs in xss for x in xs],
    "reverse": lambda xs: list(reversed(xs)),
    "equal?": lambda a, b: a == b,
    "eq?": lambda a, b: a == b,
    "string-append": lambda *ss: "".join(ss),
    "string-length": len,
    "number->string": str,
}


def evaluate(form: Any, env: Env) -> Any:
    while True:  # loop instead of recursing on tail positions of if/cond/let
        if isinstance(form, Symbol):
            return env.find(form).names[form]
        if not isinstance(form, list):
            return form
        if not form:
            raise RacketError("empty application ()")
        head, *args = form
        if head == "quote":
            return args[0]
        if head == "if":
            form = args[1] if evaluate(args[0], env) is not False else (args[2] if len(args) > 2 else None)
            continue
        if head == "cond":
            chosen = None
            for clause in args:
                if clause[0] == "else" or evaluate(clause[0], env) is not False:
                    chosen = clause
                    break
            if chosen is None:
                return None
            for body in chosen[1:-1]:
                evaluate(body, env)
            form = chosen[-1]
            continue
        if head == "define":
            if isinstance(args[0], list):
                name, *params = args[0]
                env.names[name] = Closure(params, args[1:], env)
            else:
                env.names[args[0]] = evaluate(args[1], env)
            return None
        if head == "lambda":
            return Closure(list(args[0]), args[1:], env)
        if head in ("let", "let*"):
            inner = Env({}, env)
            for name, value in args[0]:
                inner.names[name] = evaluate(value, inner if head == "let*" else env)
            for body in args[1:-1]:
                evaluate(body, inner)
            form, env = args[-1], inner
            continue
        if head == "and":
            result: Any = True
            for arg in args:
                result = evaluate(arg, env)
                if result is False:
                    return False
            return result
        if head == "or":
            for arg in args:
                result = evaluate(arg, env)
                if result is not False:
                    return result
            return False
        if head in ("when", "unless"):
            test = evaluate(args[0], env) is not False
            if test != (head == "when"):
                return None
            for body in args[1:]:
                result = evaluate(body, env)
            return result
        if head == "begin":
            for body in args[:-1]:
                evaluate(body, env)
            form = args[-1]
            continue
        fn = evaluate(head, env)
        values = [evaluate(arg, env) for arg in args]
        if not callable(fn):
            raise RacketError(f"application: not a procedure: {fn!r}")
        return fn(*values)


def main() -> int:
    env = Env(dict(BUILTINS))
    try:
        for form in read_all(Path("solution.rkt").read_text(encoding="utf-8")):
            evaluate(form, env)
    except (RacketError, RecursionError, ArithmeticError, TypeError, IndexError) as e:
        print(f"the solution does not load: {type(e).__name__}: {e}")
        return 1
    failures = 0
    tests = read_all(Path("tests.rkt").read_text(encoding="utf-8"))
    for number, test in enumerate(tests, start=1):
        if not (isinstance(test, list) and test and test[0] == "check-equal?" and len(test) == 3):
            raise RacketError(f"test {number} is not (check-equal? actual expected)")
        try:
            actual = evaluate(test[1], env)
            expected = evaluate(test[2], env)
            ok = actual == expected
        except (RacketError, RecursionError, ArithmeticError, TypeError, IndexError) as e:
            ok, actual, expected = False, f"error: {e}", evaluate(test[2], env)
        print(f"test {number}: {'ok' if ok else f'FAILED (got {actual!r}, expected {expected!r})'}")
        failures += not ok
    return 1 if failures else 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()  # the sandbox ends a failing run with os._exit, which would drop buffered output
    if status:  # a passing run must end normally: the sandbox counts an early exit as a failure
        sys.exit(status)
