"""The sorts and values of program states, shared by every part of ``invariants``.

``Valuation`` is a plain mapping from variable names to values — a sampled state, an example for the
learner, an environment for the interpreters. The typed, ordered form used for counterexamples is
``problem.State``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Sort = Literal["Int", "Bool"]
Value = int | bool
Valuation = Mapping[str, Value]
