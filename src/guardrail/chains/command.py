"""Deprecated: ``load_chain`` lives in ``guardrail.chains.target`` and ``verify_command`` (the function
behind ``guardrail verify``) in ``guardrail.cli.verify`` (this path works for one more release)."""

import warnings

from ..cli.verify import verify_command
from .target import load_chain

__all__ = ["load_chain", "verify_command"]

warnings.warn(
    "guardrail.chains.command is deprecated; use guardrail.chains.load_chain and guardrail.chains.verify "
    "(the library), or guardrail.cli.verify.verify_command (the command)",
    DeprecationWarning,
    stacklevel=2,
)
