"""Exceptions for misuse and infrastructure.

A model producing a bad answer is *not* an exception (that is a rejecting ``Verdict``). These are for
things a person has to fix: a wrong model name, a server that is down, a broken file. Every message says
what to do next.
"""

from __future__ import annotations


class GuardrailError(Exception):
    """Base class of every error guardrail raises on purpose."""


class ConfigurationError(GuardrailError):
    """The caller asked for something that cannot work as written (bad name, bad option)."""


class UnknownModelError(ConfigurationError):
    """A model spec that no backend understands."""


class ModelFileError(GuardrailError):
    """A local model file is missing or unreadable."""


class BackendError(GuardrailError):
    """A model backend failed in a way retrying did not fix."""


class BackendUnavailable(BackendError):
    """The backend could not be reached (connection refused, DNS failure, timeouts)."""


class AuthenticationError(BackendError):
    """The backend rejected our credentials (HTTP 401/403)."""


class ModelNotFoundError(BackendError):
    """The backend does not serve the requested model or endpoint (HTTP 404)."""


class ServerError(BackendError):
    """The backend kept answering with a server error (HTTP 5xx) or rate limits after all retries."""


class CassetteError(GuardrailError):
    """A cassette file is malformed; the message names the file and line."""


class CassetteMiss(GuardrailError):
    """Replay was asked for a request that the cassette does not hold."""


class GrammarError(GuardrailError):
    """A grammar file or string is malformed; the message names the file and line."""


class TemplateError(GuardrailError):
    """A prompt template is malformed or references an undefined variable."""


class DataFileError(GuardrailError):
    """A data file (suite, problem, study) is malformed; the message names the file and line."""


class ScoringError(GuardrailError):
    """A case's expected answer cannot be read by its scorer (the suite's data is at fault)."""
