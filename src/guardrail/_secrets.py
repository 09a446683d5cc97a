"""Keeping secrets out of everything guardrail writes: the one place credentials are recognised and removed.

Two kinds of secret reach guardrail: credentials inside URLs (``http://user:KEY@host/v1``, a ``?api_key=``
query) and API keys read from the environment. ``redact_url`` strips a URL down to what may be shown;
``scrub`` removes both kinds from any text: URL credentials by their shape, keys by their value (the
values ``remember``-ed by the backends that read them, and those of environment variables whose names
say they hold a secret). Every writer calls it: error messages (``GuardrailError``), the SQLite stores,
cassettes, summaries, reports and Guard traces.

Scrubbing by value is what catches a server that echoes the key back in an error message or a broken
stream: it does not matter where the text came from.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

T = TypeVar("T")

#: What a removed secret is replaced with.
MASK = "***"
#: Shorter values are not treated as secrets (masking "1" or "true" everywhere would garble text).
MIN_SECRET_CHARS = 8
#: Environment variables whose value is a secret, recognised by name.
SECRET_ENV_NAME = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$", re.IGNORECASE)
#: Query parameters that carry credentials.
SECRET_QUERY_NAME = re.compile(r"(key|token|secret|password|passwd|sig|signature|auth)", re.IGNORECASE)

# scheme://userinfo@ : the userinfo is everything up to the last @ before the host (no /, space or quote).
_URL_USERINFO = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@'\"<>]+@")
_URL_QUERY_SECRET = re.compile(
    r"([?&](?:[A-Za-z0-9_.-]*(?:key|token|secret|password|passwd|sig|signature|auth)[A-Za-z0-9_.-]*)=)"
    r"[^&#\s'\"<>]+",
    re.IGNORECASE,
)

_remembered: set[str] = set()
_lock = threading.Lock()


def remember(*values: str | None) -> None:
    """Treat ``values`` as secrets from now on in this process (an API key a backend was given)."""
    with _lock:
        for value in values:
            if value and len(value) >= MIN_SECRET_CHARS:
                _remembered.add(value)
                # A key can come back URL-encoded (in a query string a server echoes).
                quoted = quote(value, safe="")
                if quoted != value:
                    _remembered.add(quoted)


def known_secrets() -> list[str]:
    """The secret values ``scrub`` removes: remembered ones and those of secret-named environment
    variables, longest first (so a key that contains another is removed whole)."""
    with _lock:
        found = set(_remembered)
    for name, value in os.environ.items():
        if len(value) >= MIN_SECRET_CHARS and SECRET_ENV_NAME.search(name):
            found.add(value)
    return sorted(found, key=len, reverse=True)


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """``url`` without its ``user:password@`` part, and the user and password (None when absent)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None, None
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return clean, user, password


def query_secrets(url: str) -> list[str]:
    """Values of the credential-like query parameters of ``url`` (``?api_key=...``)."""
    return [v for k, v in parse_qsl(urlsplit(url).query) if SECRET_QUERY_NAME.search(k)]


def redact_url(url: str) -> str:
    """``url`` as it may be shown and stored: no ``user:password@``, no query, no fragment, no trailing /."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def scrub(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with URL credentials and every known secret value replaced by ``***``."""
    if not text:
        return text
    if "://" in text:
        text = _URL_USERINFO.sub(r"\1", text)
        if "=" in text:
            text = _URL_QUERY_SECRET.sub(rf"\1{MASK}", text)
    for secret in known_secrets() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def scrub_data(value: T) -> T:
    """``value`` (JSON-like data: dicts, lists, strings, numbers) with every string scrubbed."""
    secrets = known_secrets()

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return scrub(v, secrets)
        if isinstance(v, dict):
            return {walk(k) if isinstance(k, str) else k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, tuple):
            return tuple(walk(x) for x in v)
        return v

    return cast(T, walk(value))


class ScrubbingFilter(logging.Filter):
    """A logging filter that scrubs each record's text (httpx logs every request's full URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is logging's problem, not ours
            return True
        cleaned = scrub(text)
        if cleaned != text:
            record.msg, record.args = cleaned, ()
        return True


_FILTER = ScrubbingFilter()


def scrub_logs(*names: str) -> None:
    """Attach the scrubbing filter to the loggers ``names`` (once each)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
