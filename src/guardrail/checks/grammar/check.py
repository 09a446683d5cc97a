"""``Grammar``: accept a model's output only if it parses with a Lark grammar.

A grammar comes from a ``.lark`` file (a bare name such as ``"json"`` means the shipped
``grammars/json.lark``) or from a string. It is parsed with LALR(1) when the grammar allows it (no
conflicts, no terminal collisions: Lark's strict mode) and with Earley otherwise. LALR grammars also judge
prefixes of a stream (``viable``), and find answers inside chatty replies quickly (``extract=True``).

The accepted value is what the transformer makes of the parse tree: the shipped grammars come with one
(``json`` gives Python values, ``number`` an int or float, ``yes_no`` a bool, ``choice_ae`` a letter,
``tool_call`` a dict); without one the value is the Lark ``Tree``.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import regex
from lark import Lark, Token, Transformer, Tree
from lark.exceptions import (
    LarkError,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from ..._text import clip
from ...errors import ConfigurationError, GrammarError
from ...resources import grammar_path, grammars_dir
from ..base import DEFAULT_MAX_CHARS, Check, ErrorDetail, Verdict, line_and_column, too_long
from .earley import Parsed, TimedOut, TooDeep, parse_bounded
from .errors import describe_expected, lalr_syntax_error, syntax_error
from .extract import ExtractMode, Span, choose, fenced_blocks, line_spans, search, stripped
from .lr import END, LRDriver
from .prefix import LONE_SURROGATE, PrefixChecker
from .tokens import TokenFollower
from .tree import start_of, subtree_deeper_than
from .values import SHIPPED_VALUES, UnusableValue

#: Deeper parse trees are rejected before any transformer runs: recursive code downstream (transformers,
#: repr, json.dumps, validators) would otherwise hit Python's recursion limit on hostile nesting.
DEFAULT_MAX_DEPTH: Final = 200

#: Earley parsing can take cubic time, so Earley grammars default to a tighter length limit.
EARLEY_MAX_CHARS: Final = 20_000

#: Seconds an Earley parse may take before the output is rejected (see earley.py).
EARLEY_TIMEOUT: Final = 5.0

#: How many candidate answers extraction parses in full before giving up.
MAX_EXTRACT_CANDIDATES: Final = 16

TransformerLike = Transformer[Any, Any] | Callable[[Tree[Any]], Any]


class _Shipped:
    """Sentinel: use the shipped transformer of a shipped grammar (and none for other grammars)."""

    def __repr__(self) -> str:
        return "SHIPPED"


SHIPPED: Final = _Shipped()


@dataclass(frozen=True, slots=True, eq=False)
class _Compiled:
    lark: Lark
    algorithm: Literal["lalr", "earley"]
    driver: LRDriver | None
    tokens: TokenFollower = field(default_factory=TokenFollower)  # the terminals' DFAs, built as needed


class Grammar(Check):
    """Accepts text in the language of a Lark grammar; the value is the transformed parse tree.

    ``extract=True`` (or ``"longest"``, ``"first"``, ``"last"``) looks for the answer inside a chatty
    reply: the contents of ``` fences first, then substrings that parse (the longest, first or last of
    them; Earley grammars try the whole reply, then each line).

    ``max_chars`` bounds the text judged (default: 200,000 characters, 20,000 for Earley grammars),
    ``max_depth`` the nesting of the parse tree, and ``timeout`` the seconds an Earley parse may take
    (LALR parses are linear and need no deadline).
    """

    def __init__(
        self,
        grammar: str,
        *,
        start: str | None = None,
        transformer: TransformerLike | None = None,
        extract: bool | ExtractMode = False,
        max_chars: int | None = None,
        max_depth: int = DEFAULT_MAX_DEPTH,
        timeout: float | None = EARLEY_TIMEOUT,
        name: str | None = None,
        source: str | Path | None = None,
    ):
        self.start = start or "start"
        self.source = str(source) if source is not None else "<string>"
        self._compiled = _compile(grammar, self.start, self.source)
        self.algorithm = self._compiled.algorithm
        self.transformer = transformer
        self.extract: ExtractMode | None = _extract_mode(extract)
        default_chars = DEFAULT_MAX_CHARS if self.algorithm == "lalr" else EARLEY_MAX_CHARS
        self.max_chars = default_chars if max_chars is None else max_chars
        self.max_depth = max_depth
        self.timeout = timeout
        self.grammar_name = name or (Path(self.source).stem if source is not None else "given")
        self.name = f"grammar:{self.grammar_name}" if name or source is not None else "grammar"
        driver = self._compiled.driver
        # Terminals that look past their own end make "is this token finished?" undecidable from a
        # prefix; for those grammars viable() stays at the always-safe True.
        self._prefix = (
            PrefixChecker(driver, self._compiled.tokens)
            if driver is not None and not driver.looks_ahead
            else None
        )

    @classmethod
    def from_file(
        cls,
        name_or_path: str | Path,
        start: str | None = None,
        transformer: TransformerLike | _Shipped | None = SHIPPED,
        extract: bool | ExtractMode = False,
        max_chars: int | None = None,
        max_depth: int = DEFAULT_MAX_DEPTH,
        timeout: float | None = EARLEY_TIMEOUT,
    ) -> Grammar:
        """A grammar from a ``.lark`` file: a shipped one by name (``"json"``), or any file by path.

        A string without a path separator is a shipped grammar's name; pass ``Path("my.lark")`` or
        ``"./my.lark"`` for a file of your own. Shipped grammars get their shipped transformer unless
        ``transformer`` says otherwise (``None`` for the bare parse tree).
        """
        if isinstance(name_or_path, str) and "/" not in name_or_path and "\\" not in name_or_path:
            path = grammar_path(name_or_path)
        else:
            path = Path(name_or_path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigurationError(f"cannot read the grammar file {path}: {e.strerror or e}") from e
        except UnicodeDecodeError as e:
            raise GrammarError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from e
        if isinstance(transformer, _Shipped):
            values = SHIPPED_VALUES.get(path.stem) if _is_shipped(path) else None
            transformer = values() if values is not None else None
        return cls(
            text,
            start=start,
            transformer=transformer,
            extract=extract,
            max_chars=max_chars,
            max_depth=max_depth,
            timeout=timeout,
            name=path.stem,
            source=path,
        )

    @property
    def lark(self) -> Lark:
        """The underlying Lark parser (e.g. for ``hypothesis.extra.lark.from_lark``)."""
        return self._compiled.lark

    # -- judging whole outputs ---------------------------------------------------------------------

    def check(self, value: Any) -> Verdict:
        if not isinstance(value, str):
            raise ConfigurationError(
                f"{self.name} checks text but was given {type(value).__name__}; put the grammar check first "
                "in the pipeline, where it sees the model's text"
            )
        text = value
        rejected = too_long(self.name, text, self.max_chars)
        if rejected is None:
            rejected = self._invalid_characters(text)
        if rejected is not None:
            return rejected
        if self.extract is not None:
            return self._extract(text, self.extract)
        return self._judge(text, Span(0, len(text)))

    def _invalid_characters(self, text: str) -> Verdict | None:
        found = LONE_SURROGATE.search(text)
        if found is None:
            return None
        line, column = line_and_column(text, found.start())
        code = f"U+{ord(found.group()):04X}"
        return Verdict.reject(
            ErrorDetail(
                check=self.name,
                code="output.lone_surrogate",
                message=f"the text contains a lone surrogate ({code}), which is not a character",
                feedback=f"Remove the invalid character {code} at line {line}, column {column}.",
                expected="valid Unicode text",
                line=line,
                column=column,
                offset=found.start(),
                found=code,
            )
        )

    def _judge(self, text: str, span: Span) -> Verdict:
        """Parse ``text[span]`` and transform it; errors are located in the whole ``text``."""
        if self._compiled.driver is None:
            return self._judge_earley(text, span)
        try:
            tree = self._compiled.lark.parse(text[span.start : span.end], start=self.start)
        except UnexpectedInput as e:
            return Verdict.reject(self._syntax_error(text, span, e))
        deep = subtree_deeper_than(tree, self.max_depth)
        if deep is not None:
            return self._too_deep(text, span.start + (start_of(deep) or 0))
        return self._transform(text, span, tree)

    def _judge_earley(self, text: str, span: Span) -> Verdict:
        outcome = parse_bounded(
            self._compiled.lark, text[span.start : span.end], self.start, self.max_depth, self.timeout
        )
        if isinstance(outcome, Parsed):
            return self._transform(text, span, outcome.tree)
        if isinstance(outcome, TooDeep):
            return self._too_deep(text, span.start + outcome.offset)
        if isinstance(outcome, TimedOut):
            return Verdict.reject(self._timed_out(outcome.seconds))
        expected = describe_expected(outcome.expected, _terminals(self._compiled))
        offset = span.start + outcome.offset
        return Verdict.reject(
            syntax_error(
                self.name,
                text,
                offset,
                outcome.found,
                expected,
                self.grammar_name,
                whole_token=outcome.whole_token,
            )
        )

    def _timed_out(self, seconds: float) -> ErrorDetail:
        return ErrorDetail(
            check=self.name,
            code="grammar.timeout",
            message=f"parsing took longer than {seconds:g} s (the {self.grammar_name} grammar needs Earley)",
            feedback="Your answer is too long or too convoluted to check; give a shorter, simpler answer.",
            expected=f"an answer that parses within {seconds:g} s",
        )

    def _transform(self, text: str, span: Span, tree: Tree[Any]) -> Verdict:
        transformer = self.transformer
        if transformer is None:
            return Verdict.accept(tree)
        try:
            if isinstance(transformer, Transformer):
                return Verdict.accept(transformer.transform(tree))
            return Verdict.accept(transformer(tree))
        except VisitError as e:
            if isinstance(e.orig_exc, RecursionError):
                return self._too_deep(text, span.start)
            if not isinstance(e.orig_exc, ValueError):
                raise e.orig_exc from e
            local = start_of(e.obj) if isinstance(e.obj, Tree | Token) else None
            offset = None if local is None else span.start + local
            return Verdict.reject(self._unusable(text, e.orig_exc, offset))
        except ValueError as e:
            return Verdict.reject(self._unusable(text, e, None))
        except RecursionError:
            return self._too_deep(text, span.start)

    def _unusable(self, text: str, error: ValueError, offset: int | None) -> ErrorDetail:
        line, column = line_and_column(text, offset) if offset is not None else (None, None)
        where = f" at line {line}, column {column}" if line is not None else ""
        reason = clip(str(error), 160)
        return ErrorDetail(
            check=self.name,
            code=error.code if isinstance(error, UnusableValue) else "grammar.unusable",
            message=f"the text parses but cannot be used{where}: {reason}",
            feedback=f"Your answer is well-formed but unusable{where}: {reason}.",
            expected="a value that can be represented",
            line=line,
            column=column,
            offset=offset,
        )

    def _too_deep(self, text: str, offset: int) -> Verdict:
        line, column = line_and_column(text, offset)
        return Verdict.reject(
            ErrorDetail(
                check=self.name,
                code="output.too_deep",
                message=f"nesting too deep: more than {self.max_depth} levels",
                feedback=f"Your answer is nested too deeply; use at most {self.max_depth} levels of nesting.",
                expected=f"at most {self.max_depth} levels of nesting",
                line=line,
                column=column,
                offset=offset,
            )
        )

    def _syntax_error(self, text: str, span: Span, e: UnexpectedInput) -> ErrorDetail:
        """The error for a failed LALR parse of ``text[span]``."""
        driver = self._compiled.driver
        assert driver is not None
        lark_found = str(e.token) if isinstance(e, UnexpectedToken) and e.token.type != END else None
        state_stack = getattr(getattr(e, "state", None), "state_stack", None)
        if state_stack:
            # Lark's parser state at the error: its stack is the one before the offending token (after
            # any reductions that token triggered, which at most narrows what is expected).
            stack = LRDriver.from_state_stack(list(state_stack))
            at_end = isinstance(e, UnexpectedEOF) or (isinstance(e, UnexpectedToken) and lark_found is None)
            pos = span.end if at_end else span.start + _error_offset(e)
        else:
            run = driver.run(text, span.start, span.end)
            stack, pos = run.stack, run.stopped
        return lalr_syntax_error(self.name, self.grammar_name, driver, text, stack, pos, span.end, lark_found)

    # -- extraction ---------------------------------------------------------------------------------

    def _extract(self, text: str, mode: ExtractMode) -> Verdict:
        for span in itertools.islice(fenced_blocks(text), 2 * MAX_EXTRACT_CANDIDATES):
            if len(span):
                verdict = self._judge(text, span)
                if verdict.ok:
                    return verdict
        driver = self._compiled.driver
        if driver is None:
            return self._extract_by_lines(text)
        found, furthest = search(driver, self._compiled.tokens, text)
        first_failure: Verdict | None = None
        for span in choose(found, mode)[:MAX_EXTRACT_CANDIDATES]:
            verdict = self._judge(text, span)
            if verdict.ok:
                return verdict
            first_failure = first_failure or verdict
        if first_failure is not None:
            return first_failure  # it parsed, but the transformer could not use it
        if furthest is not None:
            return Verdict.reject(
                lalr_syntax_error(
                    self.name, self.grammar_name, driver, text, furthest.stack, furthest.stopped, len(text)
                )
            )
        return Verdict.reject(self._nothing_found(driver))

    def _extract_by_lines(self, text: str) -> Verdict:
        """Extraction without an LR table: the whole reply, then each line."""
        whole = stripped(text, 0, len(text))
        verdict = self._judge(text, whole)
        if verdict.ok:
            return verdict
        for span in itertools.islice(line_spans(text), MAX_EXTRACT_CANDIDATES):
            candidate = self._judge(text, span)
            if candidate.ok:
                return candidate
        return verdict

    def _nothing_found(self, driver: LRDriver) -> ErrorDetail:
        expected = describe_expected(driver.acceptable(driver.initial()) - {END}, driver.terminals)
        return ErrorDetail(
            check=self.name,
            code="grammar.not_found",
            message=f"found no {self.grammar_name} answer anywhere in the text",
            feedback=f"Your reply contains no answer in the required format, which starts with {expected}.",
            expected=expected,
        )

    # -- prefixes -----------------------------------------------------------------------------------

    @property
    def judges_prefixes(self) -> bool:
        """Whether ``viable`` can rule out a prefix before it is too long (LALR grammars without
        lookahead terminals, outside extraction mode); a Guard may skip prefix checks otherwise."""
        return self._prefix is not None and self.extract is None

    def viable(self, prefix: str) -> bool:
        """False only when no continuation of ``prefix`` can be accepted (exact for LALR grammars;
        Earley grammars, lookahead terminals and extraction mode only rule out over-long prefixes)."""
        if len(prefix) > self.max_chars:
            return False
        if self._prefix is None or self.extract is not None:
            return True
        return self._prefix.viable(prefix)

    def __repr__(self) -> str:
        return f"Grammar({self.grammar_name!r}, {self.algorithm})"


# -- building ----------------------------------------------------------------------------------------


def _extract_mode(extract: bool | ExtractMode) -> ExtractMode | None:
    if extract is False:
        return None
    if extract is True:
        return "longest"
    if extract in ("longest", "first", "last"):
        return extract
    raise ConfigurationError(f"extract must be True, False, 'longest', 'first' or 'last', not {extract!r}")


def _is_shipped(path: Path) -> bool:
    try:
        return path.resolve().parent == grammars_dir().resolve()
    except ConfigurationError:
        return False


@functools.lru_cache(maxsize=64)
def _compile(text: str, start: str, source: str) -> _Compiled:
    import_paths: list[str] = []
    if source != "<string>":
        import_paths.append(str(Path(source).resolve().parent))
    with contextlib.suppress(ConfigurationError):  # an installation without shipped grammars
        import_paths.append(str(grammars_dir()))
    options: dict[str, Any] = {
        "start": start,
        "regex": True,
        "source_path": source if source != "<string>" else None,
        "import_paths": import_paths,
    }
    try:
        lark = Lark(text, parser="lalr", lexer="contextual", strict=True, **options)
        return _Compiled(lark, "lalr", LRDriver(lark, start))
    except _BUILD_ERRORS:
        pass  # conflicts or colliding terminals: Earley copes; any other fault it reports below
    try:
        lark = Lark(text, parser="earley", lexer="dynamic", ambiguity="resolve", **options)
    except _BUILD_ERRORS as e:
        raise GrammarError(_grammar_error_message(e, text, source)) from e
    return _Compiled(lark, "earley", None)


# What Lark raises on a broken grammar: its own errors, a missing %import file, a terminal regexp that
# does not compile (re.error and regex.error, depending on which module looked at it first).
_BUILD_ERRORS = (LarkError, OSError, re.error, regex.error, ValueError)


def _grammar_error_message(e: Exception, text: str, source: str) -> str:
    detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    line = getattr(e, "line", None)
    column = getattr(e, "column", None)
    if not isinstance(line, int) or line < 1:
        line, column = _guess_line(detail, text) or _bad_regexp_line(text), None
    where = source if line is None else f"{source}, line {line}" + (f", column {column}" if column else "")
    if line is not None and 0 < line <= len(text.splitlines()):
        detail += f" -- the line reads: {clip(text.splitlines()[line - 1].strip(), 80)}"
    return f"malformed grammar in {where}: {detail}. Fix the grammar there."


def _guess_line(message: str, text: str) -> int | None:
    """The line a Lark error without a line number is about, found from the name it quotes.

    "defined more than once" is about the last definition of the name; other messages ("used but not
    defined", ...) about the first line that mentions it.
    """
    lines = [line.split("//", 1)[0] for line in text.splitlines()]
    for quoted in regex.findall(r"'([^']+)'|Token\('[A-Z]+', '([^']+)'\)|NonTerminal\('([^']+)'\)", message):
        name = regex.escape(next(q for q in quoted if q).removesuffix(".lark"))
        mention = regex.compile(rf"(?<![\w.]){name}(?!\w)")
        definition = regex.compile(rf"^\s*[?!_]?{name}(?:\.-?\d+)?\s*:")
        if "more than once" in message:
            defined = [n for n, line in enumerate(lines, start=1) if definition.search(line)]
            if defined:
                return defined[-1]
        for number, line in enumerate(lines, start=1):
            if mention.search(line):
                return number
    return None


_REGEXP_LITERAL = regex.compile(r"/((?:[^/\\\n]|\\.)+)/[imslux]*")


def _bad_regexp_line(text: str) -> int | None:
    """The first line with a /regexp/ that does not compile."""
    for number, line in enumerate(text.splitlines(), start=1):
        for literal in _REGEXP_LITERAL.finditer(line.split("//", 1)[0]):
            try:
                regex.compile(literal.group(1))
            except regex.error:
                return number
    return None


def _terminals(compiled: _Compiled) -> dict[str, Any]:
    return {t.name: t for t in compiled.lark.terminals}


def _error_offset(e: UnexpectedInput) -> int:
    if isinstance(e, UnexpectedToken):
        start_pos = getattr(e.token, "start_pos", None)
        return start_pos if isinstance(start_pos, int) else 0
    pos = getattr(e, "pos_in_stream", None)
    return pos if isinstance(pos, int) else 0
