"""Tool calls against a real llama-cpp-python server (chatml-function-calling) on the embedded model.

Starts ``llama_cpp.server`` on 127.0.0.1 with the embedded GGUF, then runs a Guard with ``ToolCalls`` for a
few cities, forcing the tool (``tool_choice``), with two argument models: one whose constraint the server's
JSON-Schema grammar enforces (``unit: Literal[...]``), one whose constraint only pydantic knows (a validator).
Counts native calls parsed, first answers accepted, and rejections repaired through the tool protocol.

    python benchmarks/bench_tools_server.py      # writes the "tools" section of results_racket.md
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

import httpx
from pydantic import BaseModel, field_validator

from _results import machine, write_section
from guardrail.checks import ToolCalls
from guardrail.guard import Budget, Guard
from guardrail.models.local import default_model_path
from guardrail.models.openai_model import OpenAIModel
from guardrail.prompt import Prompt

RESULTS = Path(__file__).parent / "results_racket.md"
CITIES = ["Paris", "oslo", "Rome", "new york", "Tokyo", "lima"]


class SchemaUnit(BaseModel):
    """Get the current weather in a city."""

    city: str
    unit: Literal["celsius", "fahrenheit"]


class ValidatedUnit(BaseModel):
    """Get the current weather in a city."""

    city: str
    unit: str

    @field_validator("unit")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in ("celsius", "fahrenheit"):
            raise ValueError("unit must be 'celsius' or 'fahrenheit'")
        return value


def start_server(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = {
        "host": "127.0.0.1",
        "port": port,
        "models": [
            {
                "model": str(default_model_path()),
                "model_alias": "gemma-3-270m-tools",
                "chat_format": "chatml-function-calling",
                "n_ctx": 2048,
                "n_threads": os.cpu_count() or 2,
            }
        ],
    }
    (folder / "config.json").write_text(json.dumps(config))
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--config_file", str(folder / "config.json")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not come up")


def run(url: str, arguments: type[BaseModel]) -> str:
    model = OpenAIModel("gemma-3-270m-tools", base_url=url)
    prompt = Prompt(
        "What is the weather in {{ city }}, in celsius?",
        chat=True,
        params={"max_tokens": 48, "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
    )
    guard = Guard(model, prompt, ToolCalls([("get_weather", arguments)]), budget=Budget(attempts=3))
    native = first = repaired = 0
    seconds: list[float] = []
    examples: list[str] = []
    for city in CITIES:
        result = guard.run(city=city)
        native += bool(result.attempts[0].tool_calls)
        first += result.ok and len(result.attempts) == 1
        repaired += result.ok and len(result.attempts) > 1
        seconds += [a.seconds for a in result.attempts]
        examples.append(
            f"{city}: "
            + " → ".join(a.tool_calls[0].arguments.strip() for a in result.attempts if a.tool_calls)
        )
    n = len(CITIES)
    return (
        f"| {arguments.__name__} | {native}/{n} | {first}/{n} | {repaired}/{n - first} | "
        f"{statistics.median(seconds):.1f} s | {'; '.join(examples[:3])} |"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp))
        try:
            rows = [run(url, SchemaUnit), run(url, ValidatedUnit)]
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    body = "\n".join(
        [
            f"## Tool calls on llama-cpp-python's server (`benchmarks/bench_tools_server.py`, {machine()}; "
            f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())})",
            "",
            "The embedded Gemma 3 270M (base) behind `llama_cpp.server`, chat format "
            "`chatml-function-calling`, the tool forced with `tool_choice`, greedy, a Guard with `ToolCalls` "
            "and 3 attempts (re-asks through the tool protocol). The server's format constrains arguments to "
            "the tool's JSON Schema, so a `Literal` unit is always valid; a constraint only pydantic "
            "knows is not.",
            "",
            "| arguments | native tool calls | accepted at once | repaired by re-asking | s per call "
            "| first calls |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )
    write_section("tools", body, RESULTS)
    print(body)


if __name__ == "__main__":
    main()
