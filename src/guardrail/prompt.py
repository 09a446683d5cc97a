"""``Template`` and ``Prompt``: the one place a ``Request`` is built.

``Template`` is Jinja2 in a ``SandboxedEnvironment`` with ``StrictUndefined``: a template may only read the
variables it is given, and an undefined one is an error that names the template, the variable and the
line. Case data (and anything a model wrote) only ever enters as a variable value, so ``{{ ... }}`` inside
data comes out literally; it is never template source. The source itself comes from shared space and
study files, so it is compiled and rendered within ``TemplateLimits`` (``guardrail._jinja``) and may read
files (by name, or through ``{% include %}``, ``{% extends %}``, ``{% import %}``) only inside its roots:
the folder of the file that named it and the shipped ``prompts/``.

``Prompt`` is a template plus how it is sent: as a text completion or as a chat user turn (with an
optional system message), and the sampling parameters. The Guard, chain steps, search candidates and the
LLM judge all hold a ``Prompt`` and call ``build``; nothing else turns variables into a ``Request``.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from jinja2 import Template as JinjaTemplate
from jinja2 import (
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    meta,
)
from jinja2.exceptions import SecurityError

from ._jinja import DEFAULT_LIMITS, BoundedEnvironment, ConfinedLoader, TemplateLimits, render_bounded
from ._text import clip
from .errors import ConfigurationError, TemplateError, UnsafePathError
from .models.types import Message, Request
from .resources import confined_file, prompts_dir

#: Request fields a ``Prompt`` may set (the text itself comes from the template).
PARAMS = frozenset(Request.model_fields) - {"prompt", "messages"}


@runtime_checkable
class Renderable(Protocol):
    """Anything that renders variables into prompt text (``Template`` is the usual one)."""

    def render(self, **variables: Any) -> str: ...


class Template:
    """A Jinja2 prompt template: sandboxed, bounded by ``limits``, strict about undefined variables.

    ``search_path`` is where ``{% include %}`` and friends may read from (default: the shipped
    ``prompts/``); nothing outside those folders can be read.
    """

    def __init__(
        self,
        source: str,
        *,
        name: str = "<string>",
        search_path: Sequence[Path] = (),
        limits: TemplateLimits = DEFAULT_LIMITS,
    ):
        self.name = name
        self.source = source
        self.limits = limits
        self._search_path = tuple(search_path) or (prompts_dir(),)
        self._env = BoundedEnvironment(ConfinedLoader(self._search_path, limits.max_source_chars))
        if len(source) > limits.max_source_chars:
            raise TemplateError(
                f"template {name!r} is {len(source):,} characters long; the limit is "
                f"{limits.max_source_chars:,}",
                template=name,
            )
        try:
            self._template: JinjaTemplate = self._env.from_string(source)
        except TemplateSyntaxError as exc:
            raise TemplateError(
                f"template {name!r}, line {exc.lineno}: {exc.message}; fix the template syntax",
                template=name,
                line=exc.lineno,
            ) from None
        except (RecursionError, MemoryError) as exc:
            raise TemplateError(
                f"template {name!r} cannot be compiled: {_failure(exc)}", template=name
            ) from None
        self._template.name = name
        self._template.filename = name

    @classmethod
    def from_string(cls, source: str, name: str = "<string>") -> Template:
        return cls(source, name=name)

    @classmethod
    def from_file(cls, path: str | Path) -> Template:
        """The template in the file ``path`` (a path the user gave); it may include files beside it."""
        p = Path(path)
        return cls(_read_source(p), name=str(p), search_path=(p.parent, prompts_dir()))

    @classmethod
    def load(cls, name: str, *, base_dir: Path | None = None, roots: Sequence[Path] = ()) -> Template:
        """A template by file name, as a space or study names it: beside ``base_dir`` first, then in
        ``roots``, then in the shipped ``prompts/``.

        The name must stay inside those folders: an absolute path, ``..`` or a symlink that leaves them, a
        hidden file or a system folder (``/proc``) is refused with a ``TemplateError``. Its includes
        resolve among the same folders (and the template's own).
        """
        search = _unique([base_dir, *roots, prompts_dir()])
        try:
            found = confined_file(name, search, what="template", max_bytes=_MAX_FILE_BYTES)
        except UnsafePathError as exc:
            raise TemplateError(exc.message, template=name) from None
        if found is None:
            where = " or ".join(str(r) for r in search)
            raise TemplateError(f"template {name!r} not found in {where}; check the file name", template=name)
        return cls(_read_source(found), name=str(found), search_path=_unique([found.parent, *search]))

    @cached_property
    def variables(self) -> frozenset[str]:
        """The top-level variables the template reads (statically, from its source)."""
        return frozenset(meta.find_undeclared_variables(self._env.parse(self.source)))

    @cached_property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:16]

    def render(self, **variables: Any) -> str:
        """Render with ``variables`` as data. Every failure (an undefined variable, an unsafe operation, a
        limit exceeded, a file refused) raises ``TemplateError``."""
        try:
            return render_bounded(self._template.generate(**variables), self.limits)
        except TemplateError:
            raise
        except UndefinedError as exc:
            line = _line_of(exc, self.name)
            raise TemplateError(
                f"template {self.name!r}{_at(line)} uses {_undefined_name(str(exc))}, which is not defined; "
                "pass it to render() or fix the template "
                f"(given: {', '.join(sorted(variables)) or 'nothing'})",
                template=self.name,
                line=line,
            ) from None
        except SecurityError as exc:
            line = _line_of(exc, self.name)
            raise TemplateError(
                f"template {self.name!r}{_at(line)}: unsafe operation: {exc}", template=self.name, line=line
            ) from None
        except TemplateNotFound as exc:
            raise TemplateError(
                f"template {self.name!r} includes {exc.name!r}, which was not found", template=self.name
            ) from None
        except UnsafePathError as exc:
            raise TemplateError(f"template {self.name!r}: {exc.message}", template=self.name) from None
        except TemplateSyntaxError as exc:
            raise TemplateError(
                f"template {self.name!r}: the included template {exc.filename or exc.name}, "
                f"line {exc.lineno}: {exc.message}",
                template=self.name,
                line=exc.lineno,
            ) from None
        except (
            Exception
        ) as exc:  # OverflowError, RecursionError, MemoryError, TypeError, ...: all the template's
            line = _line_of(exc, self.name)
            raise TemplateError(
                f"template {self.name!r}{_at(line)} failed: {_failure(exc)}", template=self.name, line=line
            ) from None

    def __repr__(self) -> str:
        return f"Template({self.name!r})"


#: Largest template file read (UTF-8 takes up to 4 bytes a character).
_MAX_FILE_BYTES = 4 * DEFAULT_LIMITS.max_source_chars


def _read_source(p: Path) -> str:
    try:
        size = p.stat().st_size
        if size > _MAX_FILE_BYTES:
            raise TemplateError(f"template file {str(p)!r} is {size:,} bytes; too large", template=str(p))
        return p.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(
            f"cannot read template file {str(p)!r}: {exc.strerror}", template=str(p)
        ) from None
    except UnicodeDecodeError as exc:
        raise TemplateError(f"template file {str(p)!r} is not UTF-8: {exc.reason}", template=str(p)) from None


def _unique(paths: Sequence[Path | None]) -> tuple[Path, ...]:
    seen: list[Path] = []
    for p in paths:
        if p is not None and p not in seen:
            seen.append(p)
    return tuple(seen)


def _failure(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "it recurses too deeply"
    if isinstance(exc, MemoryError):
        return "it ran out of memory"
    return f"{type(exc).__name__}: {clip(str(exc), 200)}"


def _undefined_name(message: str) -> str:
    m = re.match(r"'([^']+)' is undefined", message)
    if m:
        return f"the variable {m.group(1)!r}"
    m = re.search(r"has no attribute '([^']+)'", message)
    if m:
        return f"the attribute {m.group(1)!r} ({message})"
    return f"an undefined value ({message})"


def _line_of(exc: BaseException, filename: str) -> int | None:
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return lines[-1] if lines and lines[-1] is not None else None


def _at(line: int | None) -> str:
    return f", line {line}" if line is not None else ""


# ------------------------------------------------------------------------------------------------ prompt


@dataclass(frozen=True, init=False)
class Prompt:
    """A template and how it is sent; ``build(**variables)`` gives the ``Request``.

    ``template`` is a ``Template`` (a plain string is compiled as one) or anything with
    ``render(**variables)``. ``chat=True`` sends the rendered text as a user message, after ``system`` if
    given; otherwise it is a text-completion prompt. ``params`` are the other ``Request`` fields
    (``max_tokens``, ``temperature``, ``stop``, ``top_p``, ``seed``, ``tools``, ...).
    """

    template: Renderable
    chat: bool
    system: str | None
    params: Mapping[str, Any]

    def __init__(
        self,
        template: Renderable | str,
        chat: bool = False,
        system: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(template, str):
            template = Template(template)
        elif not isinstance(template, Renderable):
            raise TypeError(f"a Prompt's template must be a string or have render(), not {template!r}")
        given = dict(params or {})
        unknown = set(given) - PARAMS
        if unknown:
            raise ConfigurationError(
                f"unknown request parameter(s) {sorted(unknown)}; a prompt may set {sorted(PARAMS)}"
            )
        if isinstance(given.get("stop"), str):
            given["stop"] = (given["stop"],)
        elif isinstance(given.get("stop"), list):
            given["stop"] = tuple(given["stop"])
        if system is not None and not chat:
            raise ConfigurationError("a system message needs chat=True (a text prompt has no system turn)")
        object.__setattr__(self, "template", template)
        object.__setattr__(self, "chat", chat)
        object.__setattr__(self, "system", system)
        object.__setattr__(self, "params", MappingProxyType(given))

    @classmethod
    def of(cls, prompt: Prompt | Renderable | str, **params: Any) -> Prompt:
        """``prompt`` as a ``Prompt``; ``params`` are added to (and override) its own."""
        if isinstance(prompt, Prompt):
            return prompt.with_params(**params) if params else prompt
        return cls(prompt, params=params)

    def with_params(self, **params: Any) -> Prompt:
        return Prompt(self.template, self.chat, self.system, {**self.params, **params})

    def render(self, **variables: Any) -> str:
        """The prompt text for ``variables`` (data, never template source)."""
        return self.template.render(**variables)

    def build(self, **variables: Any) -> Request:
        """The request for ``variables``. Template problems raise ``TemplateError``."""
        return self.request(self.render(**variables))

    def request(self, text: str) -> Request:
        """The request that sends already-rendered ``text`` with this prompt's settings."""
        try:
            if self.chat:
                messages = [Message(role="system", content=self.system)] if self.system else []
                messages.append(Message(role="user", content=text))
                return Request(messages=tuple(messages), **self.params)
            return Request(prompt=text, **self.params)
        except ValueError as exc:
            raise ConfigurationError(f"bad request parameters {dict(self.params)}: {exc}") from None

    @property
    def fingerprint(self) -> str:
        """Identifies the template source and settings (for study stores and reports)."""
        source = getattr(self.template, "source", repr(self.template))
        blob = repr((source, self.chat, self.system, sorted(self.params.items(), key=lambda kv: kv[0])))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
