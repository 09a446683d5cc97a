"""Planted secrets never reach a file, a log or an error (issue 16, item 4).

An API key in the environment and credentials in the model URL (``http://user:KEY@host/v1``) are planted;
a study, an evaluation, a Guard (its trace and a cassette) and failing calls run against a real HTTP stub
that checks the credentials arrive and echoes the key back in a 400 and in a broken stream. Then every
file under the output folders and guardrail's home (the cache) is read byte by byte, with the captured
logs and command output, and none may contain the secrets.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from guardrail._secrets import redact_url, scrub, split_credentials
from guardrail.checks import Grammar
from guardrail.cli import app
from guardrail.cli.evaluate import eval_command
from guardrail.cli.search import search_command
from guardrail.errors import BackendError
from guardrail.guard import Guard
from guardrail.models import Recorder, Request, resolve_model

ENV_KEY = "sk-planted-env-key-9f3b2a7c51"
URL_PASSWORD = "url-planted-secret-77d1e0"
USER = "alice"
BASIC = base64.b64encode(f"{USER}:{URL_PASSWORD}".encode()).decode()
SECRETS = (ENV_KEY, URL_PASSWORD, BASIC)


@contextmanager
def echo_server() -> Iterator[tuple[int, list[str]]]:
    """An OpenAI-compatible stub: answers from the prompt, records the Authorization headers it got, and
    echoes them back for prompts containing ECHO400 (a 400) or ECHOSTREAM (an error event mid-stream)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            if body.get("model") != "stub":  # a stray request from another test aimed at a reused port
                self._json(404, {"error": {"message": "unknown model"}})
                return
            auth = self.headers.get("authorization") or ""
            seen.append(auth)
            prompt = body.get("prompt") or json.dumps(body.get("messages"))
            if "ECHO400" in prompt:
                self._json(400, {"error": {"message": f"bad credentials: {auth} (env {ENV_KEY})"}})
                return
            answer = " Paris" if "France" in prompt else " Rome"
            if body.get("stream"):
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                first = {"id": "1", "object": "text_completion", "created": 0, "model": "stub"}
                self._event({**first, "choices": [{"index": 0, "text": answer[:3], "finish_reason": None}]})
                if "ECHOSTREAM" in prompt:
                    self._event({"error": {"message": f"stream broke for {auth} {ENV_KEY}"}})
                    return
                self._event({**first, "choices": [{"index": 0, "text": answer[3:], "finish_reason": "stop"}]})
                self.wfile.write(b"data: [DONE]\n\n")
                return
            self._json(
                200,
                {
                    "id": "1",
                    "object": "text_completion",
                    "created": 0,
                    "model": "stub",
                    "choices": [{"index": 0, "text": answer, "finish_reason": "stop", "logprobs": None}],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
                },
            )

        def _event(self, data: dict[str, Any]) -> None:
            self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def leaks(folder: Path) -> dict[str, list[str]]:
    """Every file under ``folder`` (SQLite files and their WAL included, the test's own inputs left out)
    that contains a secret."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "inputs" not in p.parts):
        data = path.read_bytes()
        hits = [s for s in SECRETS if s.encode() in data]
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


def write_inputs(folder: Path, spec: str) -> tuple[Path, Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    suite = folder / "capitals.jsonl"
    suite.write_text(
        "".join(
            json.dumps({"id": f"c{i}", "country": c, "expected": a}) + "\n"
            for i, (c, a) in enumerate([("France", "Paris"), ("Italy", "Rome")] * 6)
        )
    )
    template = folder / "qa.j2"
    template.write_text("Q: What is the capital of {{ country }}?\nA:")
    study = folder / "study.yaml"
    study.write_text(
        yaml.safe_dump(
            {
                "name": "leak-check",
                "suite": {"path": "capitals.jsonl", "scorer": {"kind": "normalized"}},
                "space": {
                    "name": "s",
                    "request": {"max_tokens": 3, "stop": ["\n"]},
                    "fixed": {"template": "qa.j2"},
                    # A model dimension: the spec becomes a candidate's setting, label and report row.
                    "dimensions": {"model": [spec], "style": ["a", "b"]},
                },
                "splits": {"train": 0.0, "validation": 0.5, "test": 0.5, "seed": 0},
                "strategy": {"kind": "grid"},
                "model": spec,
                "concurrency": 2,
            }
        )
    )
    return study, suite, template


def test_planted_secrets_reach_no_file_log_or_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("GUARDRAIL_HOME", str(home))
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    for name in ("httpx", "httpx2", "openai", "guardrail"):
        caplog.set_level(logging.DEBUG, logger=name)
    shown = io.StringIO()
    console = Console(file=shown, width=200)
    with echo_server() as (port, seen):
        spec = f"http://{USER}:{URL_PASSWORD}@127.0.0.1:{port}/v1#stub"
        study, suite, template = write_inputs(tmp_path / "inputs", spec)

        # A study (with its report and plot) and an evaluation, through the command functions.
        assert (
            search_command(study, True, output=tmp_path / "study", model=spec, stdout=console, stderr=console)
            == 0
        )
        summary = json.loads((tmp_path / "study" / "summary.json").read_text())
        assert summary["validation"]["estimate"] == 1.0  # the stub answered and the answers were scored
        eval_command(
            suite,
            template,
            model=spec,
            scorer="normalized",
            output=tmp_path / "eval",
            json_out=True,
            stdout=console,
        )

        # A Guard, recorded to a cassette, its trace written as a user would write it.
        guard_dir = tmp_path / "guard"
        guard_dir.mkdir()
        model = Recorder(resolve_model(spec), guard_dir / "cassette.jsonl")
        result = Guard(
            model, "Q: capital of {{ c }}?\nA:", Grammar('start: " " /[A-Z][a-z]+/'), stream=True
        ).run(c="France")
        assert result.ok and result.value is not None
        (guard_dir / "trace.json").write_text(json.dumps(result.to_dict()))
        (guard_dir / "trace.txt").write_text(result.format_trace())

        # Error paths: the server echoes the credentials it was sent, in a 400 and in a broken stream.
        errors = []
        remote = resolve_model(spec)
        with pytest.raises(BackendError) as info:
            remote.complete(Request(prompt="ECHO400", max_tokens=2))
        errors.append(info.value)
        with pytest.raises(BackendError) as info:
            "".join(remote.stream(Request(prompt="ECHOSTREAM France", max_tokens=2)))
        errors.append(info.value)
        (tmp_path / "errors.json").write_text(json.dumps([e.to_dict() for e in errors]))
        (tmp_path / "errors.txt").write_text("\n".join(str(e) for e in errors))
        assert "bad credentials: Basic ***" in str(errors[0]) and "(env ***)" in str(errors[0])

        # The command line, failing on the same echo.
        cli = CliRunner().invoke(app, ["generate", "ECHO400", "--model", spec, "--max-tokens", "2"])
        assert cli.exit_code != 0

    # The credentials were really used: the URL's as HTTP Basic, the study's calls all carried them.
    assert seen and all(auth == f"Basic {BASIC}" for auth in seen)
    written = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    assert {
        "results.sqlite",
        "results.jsonl",
        "summary.json",
        "report.md",
        "report.html",
        "winner.yaml",
        "cache.sqlite",
        "cassette.jsonl",
        "trace.json",
        "errors.json",
    } <= written, written
    assert not leaks(tmp_path), leaks(tmp_path)
    assert (home / "cache.sqlite").exists()  # the cache was written, and searched above
    for text in (shown.getvalue(), caplog.text, cli.output, repr(errors)):
        assert not [s for s in SECRETS if s in text], text[-2000:]
    assert "HTTP Request: POST http://127.0.0.1" in caplog.text  # httpx logged the URL, without credentials


def test_scrub_removes_credentials_in_any_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-1234567890")
    text = (
        "see https://bob:hunter2-secret@example.com/v1?api_key=abcdef123456&x=1 and "
        "postgres://u:p@db:5432/x, token tok-1234567890, short 1234"
    )
    cleaned = scrub(text)
    assert "hunter2" not in cleaned and "abcdef123456" not in cleaned and "tok-1234567890" not in cleaned
    assert "u:p@" not in cleaned and "https://example.com/v1?api_key=***&x=1" in cleaned
    assert "short 1234" in cleaned  # short values are never treated as secrets
    assert re.search(r"\bpostgres://db:5432/x\b", cleaned)
    assert redact_url("http://u:pw@h:8080/v1/?k=v#f") == "http://h:8080/v1"
    assert split_credentials("http://u:p%40ss@h/v1") == ("http://h/v1", "u", "p@ss")
    assert split_credentials("http://h/v1") == ("http://h/v1", None, None)
