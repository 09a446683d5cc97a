"""The ``guardrail`` command: one module per subcommand, each registering itself on ``app``."""

from . import evaluate, generate, invariants, models, search, specs, verify  # noqa: F401  (registers the commands)
from ._app import app


def main() -> None:  # pragma: no cover - console entry point
    app()


__all__ = ["app", "main"]
