"""Reliability figures (issue 16): hostile files, templates and YAML; planted secrets; faults injected in
front of a real llama.cpp server; SIGKILL at random points. Writes benchmarks/results_reliability.md.

Run: ``python benchmarks/bench_reliability.py`` (a few minutes: it starts llama-cpp-python's server on
127.0.0.1 with the embedded model). ``--quick`` skips the server (no fault-injection rows).
The reproducers and harnesses are the tests' own (tests/fault_proxy.py, tests/scripted_server.py, ...), at
larger sizes.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import signal
import sys
import tempfile
import time
import timeit
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from jinja2 import StrictUndefined  # noqa: E402
from jinja2.sandbox import SandboxedEnvironment  # noqa: E402

from _results import machine  # noqa: E402
from guardrail.errors import DataFileError, GuardrailError, TemplateError  # noqa: E402
from guardrail.prompt import Template  # noqa: E402
from guardrail.resources import prompts_dir  # noqa: E402

RESULTS = Path(__file__).with_name("results_reliability.md")


def measure(action: Callable[[], Any]) -> tuple[str, float, float]:
    """(outcome, seconds, peak MiB of Python allocations) of ``action``."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        action()
        outcome = "accepted"
    except (TemplateError, DataFileError, GuardrailError) as exc:
        outcome = type(exc).__name__
    except Exception as exc:  # anything else escaping is a defect, reported as such
        outcome = f"ESCAPED {type(exc).__name__}"
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return outcome, seconds, peak / 2**20


def hostile_rows() -> list[str]:
    from tests.test_hostile_inputs import EXHAUSTING, alias_bomb

    from guardrail._yaml import load_text
    from guardrail.search.space import PromptSpace

    rows = []
    groups: dict[str, list[tuple[str, Callable[[], Any]]]] = {
        "template source (exhaustion, crashes)": [
            (name, lambda s=source: Template(s, name="hostile.j2").render())
            for name, source in EXHAUSTING.items()
        ],
    }
    folder = Path(tempfile.mkdtemp())
    (folder / "space").mkdir()
    (folder / "secret.txt").write_text("secret")
    (folder / "space" / "link.j2").symlink_to(folder / "secret.txt")
    (folder / "space" / ".env").write_text("KEY=x")
    names = ["/proc/self/environ", "/etc/passwd", "../../x", "../secret.txt", "link.j2", ".env"]
    includes = [
        "{% include '/etc/passwd' %}",
        "{% include '../secret.txt' %}",
        "{% include 'link.j2' %}",
        "{% extends '../secret.txt' %}",
        "{% import '/proc/self/environ' as e %}",
    ]

    def space_render(template: Any) -> None:
        space = PromptSpace.from_dict(
            {"name": "s", "fixed": {"template": template}}, base_dir=folder / "space"
        )
        space.candidates()[0].prompt.render()

    groups["files named by a space or template"] = [(n, lambda n=n: space_render(n)) for n in names] + [
        (s, lambda s=s: space_render({"source": s})) for s in includes
    ]
    bombs = {f"{levels} levels": alias_bomb(levels) for levels in (9, 12)} | {
        "self-reference": "a: &a [*a]\n"
    }
    groups["YAML alias bombs (610-byte shape, deeper, self-reference)"] = [
        (name, lambda b=bomb: load_text(b, source="bomb.yaml")) for name, bomb in bombs.items()
    ]
    rows.append("| reproducers | count | refused | escaped or accepted | slowest | peak memory |")
    rows.append("|---|---|---|---|---|---|")
    for group, cases in groups.items():
        results = [measure(action) for _, action in cases]
        refused = sum(not r[0].startswith(("ESCAPED", "accepted")) for r in results)
        bad = [
            name
            for (name, _), r in zip(cases, results, strict=True)
            if r[0].startswith(("ESCAPED", "accepted"))
        ]
        named = f" ({', '.join(bad)})" if bad else ""
        rows.append(
            f"| {group} | {len(cases)} | {refused} | {len(bad)}{named} | "
            f"{max(r[1] for r in results) * 1000:.0f} ms | {max(r[2] for r in results):.1f} MiB |"
        )
    return rows


def secrets_row() -> str:
    from rich.console import Console
    from tests.test_secrets import SECRETS, echo_server, leaks, write_inputs

    from guardrail.cli.evaluate import eval_command
    from guardrail.cli.search import search_command

    folder = Path(tempfile.mkdtemp())
    os.environ["GUARDRAIL_HOME"] = str(folder / "home")
    os.environ["OPENAI_API_KEY"] = SECRETS[0]
    console = Console(file=io.StringIO())
    with echo_server() as (port, _):
        spec = f"http://alice:{SECRETS[1]}@127.0.0.1:{port}/v1#stub"
        study, suite, template = write_inputs(folder / "inputs", spec)
        search_command(study, True, output=folder / "study", model=spec, stdout=console, stderr=console)
        eval_command(suite, template, model=spec, scorer="normalized", output=folder / "eval", stdout=console)
    files = [p for p in folder.rglob("*") if p.is_file() and "inputs" not in p.parts]
    found = leaks(folder)
    return (
        f"| planted API key + URL credentials (study, report, eval, cache) | {len(files)} files written | "
        f"{len(found)} contained a secret |"
    )


def render_cost() -> str:
    template_path = prompts_dir() / "sst2" / "fewshot.j2"
    source = template_path.read_text()
    variables = {
        "instruction": "Classify the sentiment of each movie review.",
        "format": {"input": "Review:", "output": "Sentiment:", "sep": "\n\n"},
        "examples": [{"sentence": f"a fine film number {i} " * 5, "answer": "great"} for i in range(8)],
        "sentence": "an uneven but likeable film",
    }
    bounded = Template(source, name="fewshot.j2")
    plain = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True
    ).from_string(source)
    assert bounded.render(**variables) == plain.render(**variables)
    n = 2000
    t_bounded = min(timeit.repeat(lambda: bounded.render(**variables), number=n, repeat=5)) / n
    t_plain = min(timeit.repeat(lambda: plain.render(**variables), number=n, repeat=5)) / n
    return (
        f"Rendering the shipped `sst2/fewshot.j2` with 8 examples: {t_bounded * 1e6:.0f} µs with the limits, "
        f"{t_plain * 1e6:.0f} µs in Jinja's plain sandbox (best of 5 × {n}); a render happens once per "
        "model call."
    )


def fault_rows() -> list[str]:
    from tests.fault_proxy import KINDS, STREAM_ONLY, fault_proxy
    from tests.llama_server import llama_server
    from tests.test_faults_server import attempts, cells, run_guards, run_study, timeout_for

    rows = []
    with llama_server(Path(tempfile.mkdtemp())) as root:
        for seed in (11, 4):
            folder = Path(tempfile.mkdtemp())
            clean, _ = run_study(folder / "clean", f"{root}/v1")
            latencies = [
                json.loads(x)["latency_s"] for x in (clean.folder / "results.jsonl").read_text().splitlines()
            ]
            timeout = timeout_for(max(latencies))
            with fault_proxy(root, rate=0.2, seed=seed, stall_s=timeout + 1) as proxy:
                faulty, model = run_study(folder / "faulty", f"{proxy.url}/v1", timeout)
            same = cells(faulty) == cells(clean)
            rows.append(
                _fault_row(f"study (grid, 15 cells), 20%, seed {seed}", proxy, len(cells(clean)), model, same)
            )
        clean_g, _ = run_guards(f"{root}/v1")
        timeout = timeout_for(max(a.seconds for r in clean_g for a in r.attempts))
        kinds = ("cut", "truncated", "stall", "malformed", "reset", "429", "500")
        with fault_proxy(
            root, rate=0.3, seed=14, kinds=kinds, stall_s=timeout + 1, cut_after_events=2
        ) as proxy:
            faulty_g, model = run_guards(f"{proxy.url}/v1", timeout)
        calls = sum(len(r.attempts) for r in clean_g)
        rows.append(
            _fault_row(
                "streaming Guard (6 prompts), 30%, seed 14",
                proxy,
                calls,
                model,
                attempts(faulty_g) == attempts(clean_g),
            )
        )
    assert set(KINDS) - STREAM_ONLY
    return rows


def _fault_row(what: str, proxy: Any, calls: int, model: Any, same: bool) -> str:
    faults: Counter[str] = proxy.faults()
    kinds = ", ".join(f"{k} ×{n}" for k, n in sorted(faults.items()))
    share = sum(faults.values()) / len(proxy.log)
    lost = calls - model.meter.summary().calls
    return (
        f"| {what} | {calls} | {len(proxy.log)} | {sum(faults.values())} ({share:.0%}) | {kinds} | "
        f"{model.retries} | {lost} | {'yes' if same else '**no**'} |"
    )


def kill_row(points_n: int = 8) -> str:
    from tests.scripted_server import Script, scripted_server
    from tests.test_kill_resume import CONCURRENCY, answer, outcomes, run, write_study

    folder = Path(tempfile.mkdtemp())
    clean_script = Script(answer)
    with scripted_server(clean_script) as url:
        proc = run(write_study(folder / "study", url), folder / "clean")
        proc.communicate(timeout=300)
    calls = clean_script.total
    script = Script(answer)
    points = [*sorted(random.Random(2026).sample(range(1, calls), points_n - 1)), calls]
    with scripted_server(script) as url:
        study = write_study(folder / "study", url)
        for point in points:
            proc = run(study, folder / "killed")
            script.kill_at = (point, proc.pid)
            proc.communicate(timeout=300)
            assert proc.returncode == -signal.SIGKILL
        proc = run(study, folder / "killed")
        proc.communicate(timeout=300)
    same = outcomes(folder / "killed") == outcomes(folder / "clean")
    repeated = script.total - calls
    return (
        f"| `guardrail search`, {calls} calls, concurrency {CONCURRENCY} | {len(points)} "
        f"(at calls {', '.join(map(str, points))}) | {repeated} (at most {CONCURRENCY} per kill) | "
        f"{'yes' if same else '**no**'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the llama.cpp server (no fault rows)")
    args = parser.parse_args()
    load = os.getloadavg()
    lines = [
        "# Reliability (issue 16)",
        "",
        f"`benchmarks/bench_reliability.py`, {machine()}; load average at the start "
        f"{load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} (other jobs shared the cores).",
        "",
        "## Hostile files, templates and YAML",
        "",
        "Each reproducer of issue 16 (items 4 and 5) and its variants, run in-process: 'refused' means a",
        "`TemplateError`, `DataFileError` or `ConfigurationError` naming the file or template; anything else",
        "escaping (or the reproducer being accepted) would be a defect. Peak memory is Python's own",
        "allocations (tracemalloc) during the reproducer.",
        "",
        *hostile_rows(),
        "",
        render_cost(),
        "",
        "## Planted secrets",
        "",
        "| scenario | files | leaks |",
        "|---|---|---|",
        secrets_row(),
        "",
        "(The test `tests/test_secrets.py` also covers a Guard trace and cassette, a 400 and a broken stream "
        "that echo the key, the command line's error output and httpx's log.)",
        "",
    ]
    if not args.quick:
        lines += [
            "## Faults injected in front of a real server",
            "",
            "`tests/fault_proxy.py` between `OpenAIModel` and llama-cpp-python's server (embedded Gemma 3 "
            "270M, one thread, prompts evaluated one token at a time so that answers depend only on the "
            "request). "
            "Nominal rate 20% (30% for the Guard's fewer calls) per request (retries can fail again, up to "
            "twice per request); kinds dealt "
            "round-robin; a stream fault the client never met (a Guard hung up first) is not counted. "
            "'lost' is calls of the clean run missing from the faulty one; 'identical' compares "
            "every stored outcome (study) or every attempt's output, verdict and cut point (Guard).",
            "",
            "| run | calls | requests | faults (share of requests) | kinds | retries counted | lost "
            "| identical |",
            "|---|---|---|---|---|---|---|---|",
            *fault_rows(),
            "",
        ]
    lines += [
        "## SIGKILL at random points",
        "",
        "`guardrail search` as a subprocess against `tests/scripted_server.py`, no model cache (resuming "
        "rests on the study store alone), killed with SIGKILL when the N-th request arrives (seeded N, "
        "plus the last call), then rerun until it finishes.",
        "",
        "| study | kills | calls made twice | results identical to an uninterrupted run |",
        "|---|---|---|---|",
        kill_row(),
        "",
    ]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
