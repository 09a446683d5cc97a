"""Deprecated: ``Template`` lives in ``guardrail.prompt``, prompt spaces in ``guardrail.search.space``
(this path works for one more release)."""

import warnings

from .prompt import Template
from .search.space import Candidate, PromptSpace, Rendered, bake, select_examples

__all__ = ["Candidate", "PromptSpace", "Rendered", "Template", "bake", "select_examples"]

warnings.warn(
    "guardrail.templates is deprecated; import Template from guardrail.prompt and PromptSpace from "
    "guardrail.search",
    DeprecationWarning,
    stacklevel=2,
)
