"""The study store: every scored call of a study, persisted before it is used.

One SQLite file per study folder (``results.sqlite``), separate from the model cache. An outcome is keyed
by (candidate, case) and carries the hash of the exact request it answered, so a rerun reuses it only when
the prompt is unchanged; it also carries the scorer's description, so a changed scorer rescores the
stored output without calling the model again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..store import Database
from .splits import TestRead

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outcomes (
    candidate         TEXT NOT NULL,
    case_id           TEXT NOT NULL,
    split             TEXT NOT NULL,
    prompt_hash       TEXT NOT NULL,
    scorer            TEXT NOT NULL,
    correct           INTEGER NOT NULL,
    output            TEXT NOT NULL,
    answer            TEXT,
    detail            TEXT NOT NULL,
    error             TEXT,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    latency_s         REAL NOT NULL,
    cached            INTEGER NOT NULL,
    created           REAL NOT NULL,
    PRIMARY KEY (candidate, case_id)
);
CREATE TABLE IF NOT EXISTS candidates (
    id       TEXT PRIMARY KEY,
    label    TEXT NOT NULL,
    settings TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      REAL NOT NULL,
    kind    TEXT NOT NULL,
    payload TEXT NOT NULL
);
"""


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """One candidate on one case: what the model said and how it scored.

    ``error`` is set when the case could not be run (a template error, unreadable case data); such an
    outcome counts as wrong and is listed in the report.
    """

    candidate: str
    case_id: str
    split: str
    prompt_hash: str
    scorer: str
    correct: bool
    output: str
    answer: str | None = None
    detail: str = ""
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = (
    "candidate",
    "case_id",
    "split",
    "prompt_hash",
    "scorer",
    "correct",
    "output",
    "answer",
    "detail",
    "error",
    "prompt_tokens",
    "completion_tokens",
    "latency_s",
    "cached",
)


class StudyStore:
    """``results.sqlite`` of one study folder."""

    def __init__(self, path: str | Path):
        self.db = Database(path, _SCHEMA)
        self.path = self.db.path

    def get(self, candidate: str, case_id: str) -> Outcome | None:
        row = (
            self.db.connection()
            .execute(
                f"SELECT {', '.join(_COLUMNS)} FROM outcomes WHERE candidate = ? AND case_id = ?",
                (candidate, case_id),
            )
            .fetchone()
        )
        return _outcome(row) if row else None

    def get_many(self, candidate: str, case_ids: Sequence[str]) -> dict[str, Outcome]:
        wanted = set(case_ids)
        rows = (
            self.db.connection()
            .execute(f"SELECT {', '.join(_COLUMNS)} FROM outcomes WHERE candidate = ?", (candidate,))
            .fetchall()
        )
        return {r[1]: _outcome(r) for r in rows if r[1] in wanted}

    def put(self, outcome: Outcome) -> None:
        conn = self.db.connection()
        values = [getattr(outcome, c) for c in _COLUMNS]
        with conn:
            conn.execute(
                f"INSERT OR REPLACE INTO outcomes ({', '.join(_COLUMNS)}, created) "
                f"VALUES ({', '.join('?' * len(_COLUMNS))}, ?)",
                (*[int(v) if isinstance(v, bool) else v for v in values], time.time()),
            )

    def all(self) -> list[Outcome]:
        rows = (
            self.db.connection()
            .execute(f"SELECT {', '.join(_COLUMNS)} FROM outcomes ORDER BY candidate, split, case_id")
            .fetchall()
        )
        return [_outcome(r) for r in rows]

    def remember_candidates(self, rows: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        conn = self.db.connection()
        with conn:
            conn.executemany(
                "INSERT OR REPLACE INTO candidates (id, label, settings) VALUES (?, ?, ?)",
                [
                    (cid, label, json.dumps(settings, sort_keys=True, default=repr))
                    for cid, label, settings in rows
                ],
            )

    def event(self, kind: str, payload: dict[str, Any]) -> None:
        conn = self.db.connection()
        with conn:
            conn.execute(
                "INSERT INTO events (at, kind, payload) VALUES (?, ?, ?)",
                (time.time(), kind, json.dumps(payload, default=repr)),
            )

    def events(self, kind: str | None = None) -> list[tuple[float, str, dict[str, Any]]]:
        sql = "SELECT at, kind, payload FROM events"
        rows = (
            self.db.connection()
            .execute(sql + (" WHERE kind = ?" if kind else "") + " ORDER BY seq", (kind,) if kind else ())
            .fetchall()
        )
        return [(float(at), str(k), json.loads(p)) for at, k, p in rows]

    def record_test_read(self, read: TestRead) -> None:
        self.event(
            "test_read",
            {"reason": read.reason, "candidates": list(read.candidates), "n": read.n, "at": read.at},
        )

    def test_reads(self) -> list[dict[str, Any]]:
        return [payload for _, _, payload in self.events("test_read")]

    def export_jsonl(self, path: Path) -> None:
        """All outcomes as JSON lines (a plain-text copy of the store)."""
        tmp = path.with_suffix(".jsonl.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for outcome in self.all():
                f.write(json.dumps(outcome.to_dict(), ensure_ascii=False) + "\n")
        tmp.replace(path)

    def close(self) -> None:
        self.db.close()


def _outcome(row: Sequence[Any]) -> Outcome:
    d = dict(zip(_COLUMNS, row, strict=True))
    d["correct"] = bool(d["correct"])
    d["cached"] = bool(d["cached"])
    return Outcome(**d)
