"""``guardrail models``: the backends, and whether the embedded model loads."""

from __future__ import annotations

import json
import os
import time
from typing import Annotated, Any

import typer
from rich.table import Table

from ..errors import GuardrailError
from ._app import JsonOpt, app, out


@app.command()
def models(
    as_json: JsonOpt = False,
    load: Annotated[bool, typer.Option(help="Load the embedded model to show that it works.")] = True,
) -> None:
    """List the model backends and check the embedded model loads."""
    rows: list[dict[str, Any]] = []
    local: dict[str, Any] = {"backend": "local", "spec": "local", "model": "Gemma 3 270M (base, GGUF Q4_K_M)"}
    if load:
        try:
            from ..models.local import LocalModel, default_model_path

            lm = LocalModel()
            started = time.perf_counter()
            lm.load()
            local |= {
                "status": "loaded",
                "path": str(default_model_path()),
                "load_seconds": round(time.perf_counter() - started, 3),
            }
            lm.close()
        except GuardrailError as exc:
            local |= {"status": "unavailable", "detail": str(exc)}
    else:
        local["status"] = "not loaded (--no-load)"
    rows.append(local)
    key_set = bool(os.environ.get("OPENAI_API_KEY"))
    rows.append(
        {
            "backend": "openai",
            "spec": "openai:NAME",
            "model": "OpenAI's API (or OPENAI_BASE_URL)",
            "status": "OPENAI_API_KEY is set" if key_set else "OPENAI_API_KEY not set",
        }
    )
    rows.append(
        {
            "backend": "openai-compatible",
            "spec": "http://HOST:PORT/v1[#NAME]",
            "model": "vLLM, llama.cpp server, Ollama, …",
            "status": "ready (no key needed for local servers)",
        }
    )
    rows.append(
        {"backend": "replay", "spec": "replay:CASSETTE.jsonl", "model": "recorded calls", "status": "ready"}
    )
    if as_json:
        out.print_json(json.dumps({"backends": rows}))
        return
    table = Table(title="guardrail model backends")
    for col in ("backend", "spec", "model", "status"):
        table.add_column(col)
    for r in rows:
        status = r["status"]
        if r.get("load_seconds") is not None:
            status += f" in {r['load_seconds']} s from {r['path']}"
        if r.get("detail"):
            status += f": {r['detail']}"
        table.add_row(r["backend"], r["spec"], r["model"], status)
    out.print(table)
