"""SQLite storage shared by the cache (and later runs and traces).

One database file, WAL mode, a busy timeout so several processes can share it, one connection per thread.
Each write is a single transaction: a killed process leaves either the whole row or none.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

DEFAULT_HOME_ENV = "GUARDRAIL_HOME"


def guardrail_home() -> Path:
    """Where guardrail keeps its default cache: ``$GUARDRAIL_HOME`` or ``~/.cache/guardrail``."""
    env = os.environ.get(DEFAULT_HOME_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "guardrail"


def default_cache_path() -> Path:
    return guardrail_home() / "cache.sqlite"


class Database:
    """A SQLite file opened in WAL mode, with a connection per thread."""

    def __init__(self, path: str | os.PathLike[str], schema: str, busy_timeout_s: float = 30.0):
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._schema = schema
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self.connection() as conn:
            conn.executescript(schema)

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
