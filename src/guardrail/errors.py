"""Exceptions for misuse and infrastructure.

A model producing a bad answer is *not* an exception (that is a rejecting ``Verdict``). These are for
things a person has to fix: a wrong model name, a server that is down, a broken file. Every message says
what to do next, and every exception carries the data behind its message (the file and line, the HTTP
status, the request that missed) as attributes, so callers can act on it without parsing text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ._secrets import scrub


class _Describable(Protocol):
    """A request, as errors see it (errors.py sits below the model layer and does not import it)."""

    def describe(self, width: int = 120) -> str: ...


class GuardrailError(Exception):
    """Base class of every error guardrail raises on purpose.

    The message is scrubbed of secrets (URL credentials, configured API keys) before it is stored: error
    text often quotes what a server said, and a server may echo the key it was sent.
    """

    def __init__(self, message: str) -> None:
        message = scrub(message)
        super().__init__(message)
        self.message = message

    def data(self) -> dict[str, Any]:
        """The structured fields of this error (beyond its message), for JSON output."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "message": self.message, **self.data()}


class ConfigurationError(GuardrailError):
    """The caller asked for something that cannot work as written (bad name, bad option)."""


class UnknownModelError(ConfigurationError):
    """A model spec that no backend understands."""

    def __init__(self, message: str, *, spec: str | None = None) -> None:
        super().__init__(message)
        self.spec = spec

    def data(self) -> dict[str, Any]:
        return {"spec": self.spec}


class _FileError(GuardrailError):
    """An error about a place in a file: ``path`` and, where known, the 1-based ``line``."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.path = str(path) if path is not None else None
        self.line = line

    def data(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line}


class ModelFileError(_FileError):
    """A local model file is missing or unreadable."""


class UnsafePathError(ConfigurationError):
    """A file named in a study, space or template is outside the folders it may be read from.

    ``path`` is the name as written, ``roots`` the folders it was allowed in, ``reason`` what was wrong
    (absolute, leaves the folder through ``..`` or a symlink, a system folder, a hidden file, too large).
    """

    def __init__(self, message: str, *, path: str, roots: tuple[str, ...] = (), reason: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.roots = roots
        self.reason = reason

    def data(self) -> dict[str, Any]:
        return {"path": self.path, "roots": list(self.roots), "reason": self.reason}


class StoreError(_FileError):
    """A SQLite file (the model cache, a study store) cannot be used: corrupted, truncated, not a database,
    or the disk is full. ``path`` names the file; nothing read from it has been used."""


class BackendError(GuardrailError):
    """A model backend failed in a way retrying did not fix.

    ``status`` is the HTTP status of the last answer (None when there was no answer), ``url`` the server
    as shown to people (credentials removed), ``attempts`` how many tries were made.
    """

    def __init__(
        self, message: str, *, status: int | None = None, url: str | None = None, attempts: int = 1
    ) -> None:
        super().__init__(message)
        self.status = status
        self.url = url
        self.attempts = attempts

    def data(self) -> dict[str, Any]:
        return {"status": self.status, "url": self.url, "attempts": self.attempts}


class BackendUnavailable(BackendError):
    """The backend could not be reached (connection refused, DNS failure, timeouts)."""


class AuthenticationError(BackendError):
    """The backend rejected our credentials (HTTP 401/403)."""


class ModelNotFoundError(BackendError):
    """The backend does not serve the requested model or endpoint (HTTP 404)."""


class ServerError(BackendError):
    """The backend kept answering with a server error (HTTP 5xx) or rate limits after all retries."""


class CassetteError(_FileError):
    """A cassette file is malformed; ``path`` and ``line`` say where."""


class CassetteMiss(GuardrailError):
    """Replay was asked for a request that the cassette does not hold.

    ``request`` is the request that missed, ``model_id`` the model it was meant for, ``path`` the cassette.
    """

    def __init__(
        self,
        message: str,
        *,
        request: _Describable | None = None,
        model_id: str | None = None,
        path: str | Path | None = None,
    ) -> None:
        super().__init__(message)
        self.request = request
        self.model_id = model_id
        self.path = str(path) if path is not None else None

    def data(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "path": self.path,
            "request": None if self.request is None else self.request.describe(),
        }


class GrammarError(_FileError):
    """A grammar file or string is malformed; ``path`` and ``line`` say where (``path`` is None for a
    grammar given as a string)."""


class TemplateError(GuardrailError):
    """A prompt template is malformed, references an undefined variable, or is refused as unsafe.

    ``template`` names the template (its file, or ``<string>``); ``line`` is where, when known.
    """

    def __init__(self, message: str, *, template: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.template = template
        self.line = line

    def data(self) -> dict[str, Any]:
        return {"template": self.template, "line": self.line}


class DataFileError(_FileError):
    """A data file (suite, problem, study) is malformed; ``path`` and ``line`` say where."""


class ScoringError(GuardrailError):
    """A case's expected answer cannot be read by its scorer (the suite's data is at fault)."""

    def __init__(self, message: str, *, case_id: str | None = None) -> None:
        super().__init__(message)
        self.case_id = case_id

    def data(self) -> dict[str, Any]:
        return {"case_id": self.case_id}
