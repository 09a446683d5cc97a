"""guardrail's pytest plugin: prompt tests that are reproducible (record/replay) and honest (pass rates with
confidence intervals).

Registered through the ``pytest11`` entry point. It only adds options, fixtures and a summary section, so
it is inert for tests that use none of its fixtures.

Modes (``--guardrail-mode`` or ini ``guardrail_mode``):
  live    call the configured model (through the shared SQLite cache);
  record  call it and append every call to the test module's cassette;
  replay  answer only from the cassette: no model, no network; a missing call fails the test and names it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from . import testing
from .models import Cached, CompletionCache, Model, Recorder, Replay, resolve_model
from .models.accounting import UsageSummary
from .models.cassette import Cassette

MODES = ("live", "record", "replay")
_KEY = "guardrail"


@dataclass(frozen=True)
class GuardrailConfig:
    mode: str
    model: str
    cassette_dir: Path
    cache_path: Path
    concurrency: int

    def cassette_for(self, module_name: str) -> Path:
        return self.cassette_dir / f"{module_name.rsplit('.', 1)[-1]}.jsonl"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("guardrail", "guardrail prompt tests")
    group.addoption(
        "--guardrail-mode", choices=MODES, default=None, help="live | record | replay (default: live)"
    )
    group.addoption(
        "--guardrail-model", default=None, help="model spec, e.g. local, openai:NAME, http://HOST/v1"
    )
    group.addoption(
        "--guardrail-cassette-dir", default=None, help="where cassettes live (default: tests/cassettes)"
    )
    group.addoption(
        "--guardrail-concurrency", type=int, default=None, help="parallel checks in assert_pass_rate"
    )
    parser.addini("guardrail_mode", "live | record | replay", default="live")
    parser.addini("guardrail_model", "model spec for prompt tests", default="local")
    parser.addini(
        "guardrail_cassette_dir", "cassette folder, relative to the rootdir", default="tests/cassettes"
    )
    parser.addini(
        "guardrail_cache",
        "SQLite cache for live/record runs, relative to the rootdir",
        default=".guardrail/cache.sqlite",
    )
    parser.addini("guardrail_concurrency", "parallel checks in assert_pass_rate", default="1")


def _config(config: pytest.Config) -> GuardrailConfig:
    cached: GuardrailConfig | None = getattr(config, "_guardrail_config", None)
    if cached is not None:
        return cached
    mode = (
        config.getoption("--guardrail-mode")
        or os.environ.get("GUARDRAIL_MODE")
        or config.getini("guardrail_mode")
    )
    if mode not in MODES:
        raise pytest.UsageError(f"guardrail_mode must be one of {', '.join(MODES)}, got {mode!r}")
    root = Path(config.rootpath)
    cassette_dir = Path(
        config.getoption("--guardrail-cassette-dir") or config.getini("guardrail_cassette_dir")
    )
    concurrency = config.getoption("--guardrail-concurrency") or int(config.getini("guardrail_concurrency"))
    result = GuardrailConfig(
        mode=mode,
        model=config.getoption("--guardrail-model") or config.getini("guardrail_model"),
        cassette_dir=cassette_dir if cassette_dir.is_absolute() else root / cassette_dir,
        cache_path=root / config.getini("guardrail_cache"),
        concurrency=max(1, concurrency),
    )
    config._guardrail_config = result  # type: ignore[attr-defined]
    return result


def pytest_configure(config: pytest.Config) -> None:
    config._guardrail_cassettes = set()  # type: ignore[attr-defined]
    config.pluginmanager.register(_Summary(config), "guardrail-summary")


@pytest.fixture(scope="session")
def guardrail_config(pytestconfig: pytest.Config) -> GuardrailConfig:
    """The resolved plugin settings (mode, model spec, cassette folder, cache, concurrency)."""
    cfg = _config(pytestconfig)
    testing.DEFAULT_CONCURRENCY = cfg.concurrency
    return cfg


@pytest.fixture(scope="module")
def guardrail_model(guardrail_config: GuardrailConfig, request: pytest.FixtureRequest) -> Iterator[Model]:
    """The configured model for this test module: live (cached), recording, or replaying its cassette."""
    cfg = guardrail_config
    cassette = cfg.cassette_for(request.module.__name__)
    model: Model
    if cfg.mode == "replay":
        model = Replay(cassette)
    else:
        live = Cached(resolve_model(cfg.model), CompletionCache(cfg.cache_path))
        if cfg.mode == "record":
            model = Recorder(live, cassette)
            request.config._guardrail_cassettes.add(cassette)  # type: ignore[attr-defined]
        else:
            model = live
    yield model
    model.close()


@pytest.fixture(scope="module")
def guardrail_recorder(guardrail_model: Model) -> Cassette | None:
    """The cassette being recorded (record mode) or replayed (replay mode); None when live."""
    if isinstance(guardrail_model, Recorder | Replay):
        return guardrail_model.cassette
    return None


@pytest.fixture(scope="module")
def guard(guardrail_model: Model) -> Callable[..., Any]:
    """``guard(template, check, **options)`` → a ``Guard`` on the configured model."""
    from .guard import Guard

    def make(template: Any, check: Any, **options: Any) -> Guard:
        return Guard(guardrail_model, template, check, **options)

    return make


@pytest.fixture(scope="session")
def load_suite() -> Callable[..., Any]:
    """``load_suite(path, format=None, **options)`` → a ``Suite`` (JSONL, CSV, YAML, the shipped formats)."""
    from .suites import load_suite as load

    return load


# --- per-test usage and the summary -------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # funcargs holds every fixture of the test's closure, so tests using only `guard` count too.
    model = getattr(item, "funcargs", {}).get("guardrail_model")
    before = model.meter.summary() if isinstance(model, Model) else None
    start = len(testing.RESULTS)
    try:
        return (yield)
    finally:
        rates = [r for _, r in testing.RESULTS[start:]]
        usage = (model.meter.summary() - before) if isinstance(model, Model) and before is not None else None
        if rates or (usage is not None and usage.calls):
            payload = {
                "rates": [r.to_dict() for r in rates],
                "usage": (usage or UsageSummary()).to_dict(),
            }
            item.user_properties.append((_KEY, json.dumps(payload)))


class _Summary:
    """Collects per-test payloads (in the controller under pytest-xdist: user_properties travel with
    reports) and prints the guardrail section of the terminal summary."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.rows: list[tuple[str, dict[str, Any]]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for key, value in report.user_properties:
            if key == _KEY:
                self.rows.append((report.nodeid, json.loads(str(value))))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.rows:
            return
        cfg = _config(self.config)
        tr = terminalreporter
        tr.write_sep("=", f"guardrail prompt tests ({cfg.mode}, model {cfg.model})")
        for nodeid, data in sorted(self.rows, key=lambda row: row[0]):
            usage = data["usage"]
            tr.write_line(
                f"{nodeid}: {usage['model_calls']} model calls, {usage['cached_calls']} cached/replayed, "
                f"{usage['prompt_tokens'] + usage['completion_tokens']} tokens"
            )
            for r in data["rates"]:
                flaky = f", flaky {r['flakiness']:.0%}" if r["flakiness"] is not None else ""
                tr.write_line(
                    f"    {'PASS' if r['passed'] else 'FAIL'} {r['successes']}/{r['n']} = {r['rate']:.1%} "
                    f"[{r['low']:.1%}, {r['high']:.1%}] at {r['confidence']:.0%}, "
                    f"threshold {r['threshold']:.1%}{flaky}"
                )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Workers (xdist) append to shared cassettes under a file lock; whoever finishes rewrites each cassette
    # in a canonical order so that the result does not depend on which worker ran what.
    for path in getattr(session.config, "_guardrail_cassettes", set()):
        if path.exists():
            normalize_cassette(path)


def normalize_cassette(path: Path) -> None:
    """Rewrite a cassette deduplicated and sorted by (model, request): deterministic whatever the order."""
    import fcntl

    with open(path, "r+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        lines = [line for line in f.read().splitlines() if line.strip()]
        unique: dict[str, str] = {}
        for line in lines:
            try:
                data = json.loads(line)
                key = json.dumps([data["model_id"], data["request"]], sort_keys=True)
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # a torn line; loading would skip it too
            unique.setdefault(key, line)
        f.seek(0)
        f.truncate()
        f.write("".join(unique[k] + "\n" for k in sorted(unique)))
        f.flush()
        os.fsync(f.fileno())
        fcntl.flock(f, fcntl.LOCK_UN)
