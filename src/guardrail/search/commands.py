"""Deprecated: the command functions live in ``guardrail.cli.search`` and ``guardrail.cli.evaluate``
(this path works for one more release)."""

import warnings

from ..cli.evaluate import eval_command
from ..cli.search import search_command

__all__ = ["eval_command", "search_command"]

warnings.warn(
    "guardrail.search.commands is deprecated; use guardrail.cli.search / guardrail.cli.evaluate, or the "
    "library functions Study.run and guardrail.search.evaluate",
    DeprecationWarning,
    stacklevel=2,
)
