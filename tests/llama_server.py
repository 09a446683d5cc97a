"""Start llama-cpp-python's OpenAI-compatible server on 127.0.0.1 with the embedded GGUF, for tests that need
a real server (the fault-injection tests put a proxy in front of it)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def llama_server(
    folder: Path, *, alias: str = "gemma-3-270m", threads: int = 1, history_independent: bool = True
) -> Iterator[str]:
    """Yield the server's root URL (``http://127.0.0.1:PORT``, without ``/v1``); stop it afterwards.

    One thread by default: on a busy machine llama.cpp's threads wait for each other at every step (one
    token took 6 s with two threads at a load average of 13, 0.12 s with one).

    ``history_independent`` evaluates prompts one token at a time (``--n_batch 1``). The server reuses the
    part of the previous prompt a new one starts with, and evaluates the rest as one batch; batches of
    other sizes take other arithmetic paths, so the same request can get a different greedy answer
    after a different previous request (measured: ' Tokyo, Japan' or ' Japan is the capital'). A test
    that compares two runs whose calls arrive in different orders needs answers that depend only on the
    request; one token at a time costs about twice the time."""
    from guardrail.models.local import default_model_path

    port = free_port()
    log = folder / "server.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(default_model_path()),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
                "--n_threads",
                str(threads),
                "--n_threads_batch",
                str(threads),
                *(["--n_batch", "1", "--n_ubatch", "1"] if history_independent else []),
                "--model_alias",
                alias,
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{root}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not come up in 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        # The first answer pages the weights in (seconds); tests that time calls should not see that.
        httpx.post(f"{root}/v1/completions", json={"prompt": "Hi", "max_tokens": 1}, timeout=120)
        yield root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
