"""SQLite storage shared by the cache and the study stores.

One database file, WAL mode, a busy timeout so several processes can share it, one connection per thread.
Each write is a single transaction: a killed process leaves either the whole row or none.

Every connection is a ``_Connection``, which does two things for every store at once:

* no secret is written: string parameters of every statement are scrubbed (``guardrail._secrets``);
* no damaged file is trusted: a file that is not a SQLite database, is shorter than its own header says
  (truncated), fails SQLite's structural check when opened, or makes a statement fail (malformed, disk
  full, I/O error) raises ``StoreError`` naming the file and what to do, instead of a bare
  ``sqlite3`` exception or, worse, a partial answer. SQLite keeps no checksums of row contents, so bytes
  changed *inside* a row that leave the file's structure valid are not detected.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ._secrets import known_secrets, scrub
from .errors import StoreError

DEFAULT_HOME_ENV = "GUARDRAIL_HOME"
#: Files up to this size get SQLite's full structural check (``PRAGMA quick_check``) when opened.
QUICK_CHECK_MAX_BYTES = 32 * 1024 * 1024
_MAGIC = b"SQLite format 3\x00"


def guardrail_home() -> Path:
    """Where guardrail keeps its default cache: ``$GUARDRAIL_HOME`` or ``~/.cache/guardrail``."""
    env = os.environ.get(DEFAULT_HOME_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "guardrail"


def default_cache_path() -> Path:
    return guardrail_home() / "cache.sqlite"


def store_error(path: Path, exc: BaseException, doing: str = "") -> StoreError:
    """A ``StoreError`` for ``exc`` raised by SQLite while using ``path``, saying what to do."""
    text = str(exc)
    lowered = text.lower()
    what = f" while {doing}" if doing else ""
    if "full" in lowered or "disk i/o" in lowered or isinstance(exc, OSError):
        advice = (
            "the disk (or the file-size limit) is full: free some space and run again; every call already "
            "recorded is kept, and the run resumes from there"
        )
    elif "locked" in lowered or "busy" in lowered:
        advice = "another process holds the file locked; wait for it to finish or stop it, then run again"
    elif "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        advice = (
            "the file is damaged: move it aside (or delete it) and run again; a study store's calls will be "
            "made again, a cache is rebuilt as it is used"
        )
    else:
        advice = "check the file, or move it aside and run again"
    return StoreError(f"{path}: {text}{what}; {advice}", path=path)


def check_file(path: Path) -> None:
    """Refuse a file that is not a SQLite database or is shorter than its header says (truncated)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    except OSError as exc:
        raise store_error(path, exc, "opening it") from None
    if size == 0:
        return  # a new, empty database
    try:
        with open(path, "rb") as f:
            header = f.read(100)
    except OSError as exc:
        raise store_error(path, exc, "reading its header") from None
    if not header.startswith(_MAGIC):
        raise store_error(path, sqlite3.DatabaseError("file is not a database"))
    if len(header) < 100:
        raise store_error(path, sqlite3.DatabaseError("database disk image is malformed (truncated header)"))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_is_current = header[24:28] == header[92:96]
    if header_is_current and pages and size < pages * page_size:
        raise store_error(
            path,
            sqlite3.DatabaseError(
                f"database disk image is malformed: the file is {size:,} bytes but its header says "
                f"{pages * page_size:,} (truncated)"
            ),
        )


def _scrubbed(parameters: Any, secrets: Sequence[str]) -> Any:
    if isinstance(parameters, dict):
        return {k: scrub(v, secrets) if isinstance(v, str) else v for k, v in parameters.items()}
    if isinstance(parameters, list | tuple):
        return tuple(scrub(v, secrets) if isinstance(v, str) else v for v in parameters)
    return parameters


#: SQLite errors that are about the file or the machine (wrapped), as opposed to our own SQL (not wrapped).
_FILE_ERRORS = (sqlite3.OperationalError, sqlite3.DatabaseError)
_OUR_ERRORS = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)


class _Cursor(sqlite3.Cursor):
    path: Path

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except _OUR_ERRORS:
            raise
        except _FILE_ERRORS as exc:
            raise store_error(self.path, exc, "reading") from None

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except _OUR_ERRORS:
            raise
        except _FILE_ERRORS as exc:
            raise store_error(self.path, exc, "reading") from None

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        try:
            return super().fetchmany(size if size is not None else self.arraysize)
        except _OUR_ERRORS:
            raise
        except _FILE_ERRORS as exc:
            raise store_error(self.path, exc, "reading") from None

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except _OUR_ERRORS:
            raise
        except _FILE_ERRORS as exc:
            raise store_error(self.path, exc, "reading") from None


class _Connection(sqlite3.Connection):
    """A connection whose statements never store a secret and whose failures name the file."""

    path: Path

    def cursor(self, factory: Any = None) -> Any:
        cur = super().cursor(factory or _Cursor)
        cur.path = self.path
        return cur

    def _cursor(self) -> sqlite3.Cursor:
        cur = _Cursor(self)
        cur.path = self.path
        return cur

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        # Through our own cursor (Connection.execute would make a plain one), so fetches are guarded too.
        try:
            return self._cursor().execute(sql, _scrubbed(parameters, known_secrets()))
        except _OUR_ERRORS:
            raise
        except _FILE_ERRORS as exc:
            raise store_error(self.path, exc) from None

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        secrets = known_secrets()
        try:
            return self._cursor().executemany(sql, [_scrubbed(p, secrets) for p in parameters])
        except _OUR_ERRORS:
            raise
        except _FILE_ERRORS as exc:
            raise store_error(self.path, exc) from None

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        try:
            return super().executescript(sql_script)
        except _OUR_ERRORS:
            raise
        except _FILE_ERRORS as exc:
            raise store_error(self.path, exc) from None

    def commit(self) -> None:
        try:
            super().commit()
        except _FILE_ERRORS as exc:
            raise store_error(self.path, exc, "committing") from None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return super().__exit__(exc_type, exc, tb)
        except _OUR_ERRORS:
            raise
        except _FILE_ERRORS as error:
            raise store_error(self.path, error, "committing") from None


class Database:
    """A SQLite file opened in WAL mode, with a connection per thread."""

    def __init__(self, path: str | os.PathLike[str], schema: str, busy_timeout_s: float = 30.0):
        self.path = Path(path).expanduser()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise store_error(self.path, exc, "creating its folder") from None
        self._schema = schema
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        check_file(self.path)
        conn = self.connection()
        if self.path.exists() and 0 < self.path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
            if problems != ["ok"]:
                self.close()
                raise store_error(
                    self.path,
                    sqlite3.DatabaseError(f"database disk image is malformed: {'; '.join(problems[:3])}"),
                )
        with conn:
            conn.executescript(schema)

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(
                    self.path,
                    timeout=self._busy_timeout_s,
                    check_same_thread=False,
                    factory=_Connection,
                )
            except sqlite3.Error as exc:
                raise store_error(self.path, exc, "opening it") from None
            assert isinstance(conn, _Connection)
            conn.path = self.path
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


def write_text_file(path: Path, text: str) -> Path:
    """Write ``text`` (scrubbed of secrets) to ``path`` atomically: a reader, or a run killed meanwhile,
    sees the old file or the new one, never half of one. A full disk raises ``StoreError`` naming the file
    (and leaves the old file as it was)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(scrub(text))
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise store_error(path, exc, "writing it") from None
    return path
